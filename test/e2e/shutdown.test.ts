import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectLines, exited, waitFor, helpdeskDirs, INITIALIZE, jsonRpc, spawnHelpdesk } from '../support/helpdesk-process.js';
import { readTrail, readTrailLines } from '../support/trail-files.js';

const CALLS = 300;

function burst(firstId: number): string {
  let requests = '';
  for (let id = firstId; id < firstId + CALLS; id++) {
    requests += jsonRpc(id, 'tools/call', { name: 'create_ticket', arguments: { title: `burst ${id}`, priority: 'P4' } });
  }
  return requests;
}

test('end of stdin with calls in flight: the server drains, exits 0 and every call read has its record', async () => {
  const dirs = helpdeskDirs('e2e-eof');
  const child = spawnHelpdesk(dirs);
  const responses = collectLines(child);
  child.stdin.end(INITIALIZE + burst(1));
  assert.deepEqual(await exited(child), { code: 0, signal: null });
  const requestIds = readTrail(dirs.logDir)
    .filter((record) => record.action === 'tool_call')
    .map((record) => Number(record.request_id));
  // All requests were in the pipe before EOF, so the server read every one of them.
  assert.deepEqual(
    requestIds.sort((a, b) => a - b),
    Array.from({ length: CALLS }, (_, i) => i + 1),
  );
  assert.equal(responses.length, CALLS + 1, 'every request read before EOF is answered');
});

for (const signal of ['SIGTERM', 'SIGINT'] as const)
  test(`${signal} mid-burst: exit 0, intact lines, and every response the client saw has its record`, async () => {
    const dirs = helpdeskDirs(`e2e-${signal.toLowerCase()}`);
    const child = spawnHelpdesk(dirs);
    const responses = collectLines(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.write(INITIALIZE + burst(1));
    await waitFor(() => responses.length >= 10, 'the first responses');
    child.kill(signal);
    assert.deepEqual(await exited(child), { code: 0, signal: null });
    assert.match(stderr, new RegExp(`shutting down \\(${signal}\\)`));

    const lines = readTrailLines(dirs.logDir).filter((line) => (JSON.parse(line) as { action: string }).action === 'tool_call');
    const recordedIds = new Set(lines.map((line) => String((JSON.parse(line) as { request_id: string }).request_id)));
    assert.equal(recordedIds.size, lines.length, 'no duplicate records');
    const answeredIds = responses.map((line) => JSON.parse(line) as { id: number; result?: unknown }).filter((m) => m.id > 0 && m.result);
    assert.ok(answeredIds.length >= 9);
    for (const { id } of answeredIds) assert.ok(recordedIds.has(String(id)), `response ${id} has no record`);
  });
