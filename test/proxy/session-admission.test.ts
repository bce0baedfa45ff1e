import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxSessionsPerPrincipal } from '../../src/proxy/session-admission.js';

test('MCP_MAX_SESSIONS_PER_PRINCIPAL: a quarter of MCP_MAX_SESSIONS by default (at least 1), a whole number >= 1 when set', () => {
  assert.equal(maxSessionsPerPrincipal(500, {}), 125);
  assert.equal(maxSessionsPerPrincipal(10, {}), 3);
  assert.equal(maxSessionsPerPrincipal(1, {}), 1);
  assert.equal(maxSessionsPerPrincipal(500, { MCP_MAX_SESSIONS_PER_PRINCIPAL: ' 7 ' }), 7);
  for (const bad of ['0', '-1', '2.5', 'many']) {
    assert.throws(
      () => maxSessionsPerPrincipal(500, { MCP_MAX_SESSIONS_PER_PRINCIPAL: bad }),
      new RegExp(`MCP_MAX_SESSIONS_PER_PRINCIPAL must be a whole number >= 1, not "${bad}"`),
    );
  }
});
