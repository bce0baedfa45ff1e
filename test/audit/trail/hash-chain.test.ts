import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { ChainedLines, ChainHasher, GENESIS } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';

const hasher = new ChainHasher('chain-test-key');

class WithToJSON {
  own = 2;
  toJSON(): object {
    return { replaced: true };
  }
}

/** The definition the bytes must match: the record with `seq` and `prev_hash` appended, then `hash`. */
function byDefinition(record: object, previous: { seq: number; hash: string }): string {
  return JSON.stringify({ ...record, seq: previous.seq + 1, prev_hash: previous.hash });
}

test('a chained line is exactly the record with seq and prev_hash appended, then its hash, whatever the record looks like', () => {
  const previous = { seq: 41, hash: 'ab'.repeat(32) };
  const shapes: object[] = [
    auditRecord(7),
    { message: 'only one field', nested: { a: [1, 'two', null] }, skipped: undefined },
    {},
    { gone: undefined },
    { seq: 3, prev_hash: 'stale', other: 1 },
    { seq: 3, other: 1 },
    { other: 1, prev_hash: 'stale' },
    { toJSON: () => ({ replaced: true }) },
    Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
    new WithToJSON(), // its toJSON is inherited: the definition's spread drops it, so it must not be used
    { args: { id: 'x', hash: 'ab'.repeat(32) }, after: 1 }, // a "hash" member inside the record is not the record's hash
    { args: { hash: 'ab'.repeat(32) } },
  ];
  for (const record of shapes) {
    const { line, link } = hasher.chain(record, previous);
    const body = byDefinition(record, previous);
    assert.equal(line, `${body.slice(0, -1)},"hash":"${link.hash}"}\n`, JSON.stringify(record));
    assert.equal(link.seq, 42);
    assert.deepEqual(hasher.check(line.trimEnd()), { stored: link.hash, computed: link.hash });
  }
  assert.match(hasher.chain({ a: 1 }, GENESIS).line, /^\{"a":1,"seq":1,"prev_hash":"0{64}","hash":"[0-9a-f]{64}"\}\n$/);
});

test('lines chained into one buffer are byte for byte the definition, hashed over those bytes, for awkward records', () => {
  const awkward: object[] = [
    { text: 'café ñ 日本語 😀 𝄞', key_ü: 'ü' },
    { quotes: '"quoted" \\ back\\slash', control: '\n\r\t\u0000\u001f\u007f\u2028\u2029', lone: '\ud800 and \udfff' },
    { nested: { deeper: { list: [{ a: 1 }, [], {}, null, -0, 1e21, 0.1] } }, empty: '' },
    { big: '€'.repeat(40_000), after: 'x' }, // past the initial 64 KiB, in 3-byte characters
    { emoji: '😀'.repeat(30_000) },
    auditRecord(9),
  ];
  const lines = new ChainedLines(1024);
  lines.reset(1);
  let previous = { seq: 99, hash: 'cd'.repeat(32) };
  let expected = '';
  for (const record of awkward) {
    const body = byDefinition(record, previous);
    // The hash by its definition, computed here without the writer's code: H(domain + body).
    const hash = createHmac('sha256', 'chain-test-key').update(`mcp-audit/record/v1\n${body}`).digest('hex');
    expected += `${body.slice(0, -1)},"hash":"${hash}"}\n`;
    const link = hasher.chainInto(record, previous, lines);
    assert.deepEqual(link, { seq: previous.seq + 1, hash });
    assert.equal(hasher.chain(record, previous).line, expected.slice(expected.lastIndexOf('\n', expected.length - 2) + 1));
    previous = link;
  }
  assert.ok(lines.bytes(1).equals(Buffer.from(expected, 'utf8')));
  for (const line of lines.bytes(1).toString('utf8').split('\n').slice(0, -1)) {
    const stored = hasher.check(line)!;
    assert.equal(stored.computed, stored.stored);
  }
});

test('without a key the chain is plain SHA-256 over the same bytes, as computed here independently, for records of any size, and the seal and key id say so', () => {
  const plain = new ChainHasher(undefined);
  assert.equal(plain.algorithm, 'sha256');
  assert.equal(plain.keyId, null);
  assert.equal(ChainHasher.fromEnv({ AUDIT_HMAC_KEY: '' }).algorithm, 'sha256');
  assert.equal(ChainHasher.fromEnv({ AUDIT_HMAC_KEY: 'k' }).algorithm, 'hmac-sha256');
  let previous = GENESIS;
  // Of every size around the hasher's reused copy buffer (64 KiB): a shorter body after a longer one hashes its own bytes only.
  const sizes = [5_000, 40_000, 30_000, 10];
  for (const record of [
    auditRecord(1),
    { text: 'café 😀', nested: { list: [1, null] } },
    ...sizes.map((n) => ({ text: 'é'.repeat(n) })),
    auditRecord(3),
  ]) {
    const body = byDefinition(record, previous);
    const hash = createHash('sha256').update(`mcp-audit/record/v1\n${body}`).digest('hex');
    const { line, link } = plain.chain(record, previous);
    assert.equal(line, `${body.slice(0, -1)},"hash":"${hash}"}\n`);
    assert.deepEqual(link, { seq: previous.seq + 1, hash });
    assert.deepEqual(plain.check(line.trimEnd()), { stored: hash, computed: hash });
    previous = link;
  }
  assert.equal(plain.seal('["fields"]'), createHash('sha256').update('mcp-audit/head/v1\n["fields"]').digest('hex'));
  // Keyed: the key id is derived from the key under its own domain, never the key itself.
  assert.equal(hasher.keyId, createHmac('sha256', 'chain-test-key').update('mcp-audit/key-id/v1').digest('hex').slice(0, 16));
  assert.equal(hasher.seal('["fields"]'), createHmac('sha256', 'chain-test-key').update('mcp-audit/head/v1\n["fields"]').digest('hex'));
  assert.equal(plain.check('{"a":1}'), null);
});

test('the reused buffer grows as a run needs, and one grown past 8 MiB by a huge run is let go at the next reset, back to 64 KiB', () => {
  // The ArrayBuffer behind the bytes is the buffer the lines are kept in: its size is the memory held between runs.
  const held = (lines: ChainedLines) => lines.bytes(0).buffer.byteLength;
  const fill = (lines: ChainedLines, bytes: number) => {
    const chunk = 'x'.repeat(4096);
    while (lines.length + chunk.length <= bytes) lines.write(chunk);
  };
  const lines = new ChainedLines();
  assert.equal(held(lines), 64 * 1024);
  fill(lines, 8 * 1024 * 1024 - 3 * 4096); // doubling from 64 KiB: exactly 8 MiB, kept for the next burst
  assert.equal(held(lines), 8 * 1024 * 1024);
  lines.reset(1);
  assert.equal(lines.length, 1);
  assert.equal(held(lines), 8 * 1024 * 1024);
  fill(lines, 9 * 1024 * 1024);
  assert.equal(held(lines), 16 * 1024 * 1024);
  lines.reset(0);
  assert.equal(held(lines), 64 * 1024);
  lines.write('after');
  assert.equal(lines.bytes(0).toString('utf8'), 'after');
});
