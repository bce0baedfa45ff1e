import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_ID_LENGTH } from '../../src/audit/record/summarize.js';
import { verifies } from '../support/cli.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { PYTHON_SERVER, WireProxy } from '../support/wire-proxy.js';

test('a request id of 2 MiB passes whole to the client, and every record keeps it capped and marked truncated', async () => {
  const logDir = join(makeTempDir('proxy-long-id'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  const longId = `id-${'x'.repeat(2 * 1024 * 1024)}`;
  proxy.call(longId, 'echo', { text: 'hello' });
  const answer = await proxy.response(longId, 60_000);
  assert.equal(answer.message.id, longId, 'the client gets its own id back, whole');
  assert.equal(await proxy.close(), 0);

  const calls = readTrail(logDir).filter((record) => record.action === 'tool_call');
  assert.equal(calls.length, 1);
  const recorded = calls[0]!.request_id!;
  assert.ok(recorded.length < MAX_ID_LENGTH + 40, `request_id kept capped (${recorded.length} chars)`);
  assert.equal(recorded, `${longId.slice(0, MAX_ID_LENGTH)}...[truncated ${longId.length - MAX_ID_LENGTH} chars]`);
  assert.equal(calls[0]!.truncated, true);
  assert.equal(calls[0]!.success, true);
  verifies(logDir);
});

test('a request id of exactly the cap is kept whole and not marked truncated', async () => {
  const logDir = join(makeTempDir('proxy-cap-id'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  const id = 'y'.repeat(MAX_ID_LENGTH);
  proxy.call(id, 'echo', { text: 'hello' });
  await proxy.response(id);
  assert.equal(await proxy.close(), 0);
  const [record] = readTrail(logDir).filter((r) => r.action === 'tool_call');
  assert.equal(record?.request_id, id);
  assert.equal(record?.truncated, false);
  verifies(logDir);
});
