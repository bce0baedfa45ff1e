import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BearerTokens } from '../../src/index.js';
import { makeTempDir } from '../support/trail-files.js';

test('tokens map to principals; unknown, empty and prefix tokens map to none', () => {
  const tokens = BearerTokens.parse('tok-a=alice, tok-b = bob', 'test');
  assert.equal(tokens.size, 2);
  assert.equal(tokens.principalFor('tok-a'), 'alice');
  assert.equal(tokens.principalFor('tok-b'), 'bob');
  for (const wrong of ['tok-c', '', 'tok-', 'tok-a ', 'TOK-A']) assert.equal(tokens.principalFor(wrong), null);
});

test('a file holds one token=principal per line, with comments; a token may contain "="', () => {
  const file = join(makeTempDir('tokens'), 'tokens');
  writeFileSync(file, '# demo tokens\nabc==def=carol\n\ntok-d=dave\n');
  const tokens = BearerTokens.fromEnv({ MCP_AUTH_TOKENS_FILE: file })!;
  assert.equal(tokens.principalFor('abc==def'), 'carol');
  assert.equal(tokens.principalFor('tok-d'), 'dave');
});

test('no variable means no auth; bad input is refused naming the entry, never the token', () => {
  assert.equal(BearerTokens.fromEnv({}), null);
  assert.throws(() => BearerTokens.fromEnv({ MCP_AUTH_TOKENS: 'a=b', MCP_AUTH_TOKENS_FILE: '/x' }), /not both/);
  assert.throws(
    () => BearerTokens.parse('good=alice,secret-without-principal', 'MCP_AUTH_TOKENS'),
    (error: Error) => {
      assert.match(error.message, /MCP_AUTH_TOKENS: entry 2 is not token=principal/);
      assert.doesNotMatch(error.message, /secret/);
      return true;
    },
  );
  assert.throws(() => BearerTokens.parse('same=alice,same=bob', 'test'), /entry 2 repeats a token/);
  assert.throws(() => BearerTokens.parse(' , ', 'test'), /no tokens/);
  assert.throws(() => BearerTokens.fromEnv({ MCP_AUTH_TOKENS_FILE: join(makeTempDir('tokens'), 'missing') }), /ENOENT/);
});
