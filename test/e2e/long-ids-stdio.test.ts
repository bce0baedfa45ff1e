import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ID_LENGTH } from '../../src/audit/record/summarize.js';
import { verifies } from '../support/cli.js';
import { collectLines, exited, helpdeskDirs, INITIALIZE, spawnHelpdesk, waitFor } from '../support/helpdesk-process.js';
import { readTrail } from '../support/trail-files.js';

test('the embedded instrumentation keeps a 2 MiB request id capped in the record, and answers with it whole', async (t) => {
  const dirs = helpdeskDirs('e2e-long-id');
  const child = spawnHelpdesk(dirs);
  const lines = collectLines(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  t.after(async () => {
    child.stdin.end();
    await exited(child);
  });

  child.stdin.write(INITIALIZE);
  await waitFor(() => lines.length === 1, `the initialize answer (stderr: ${stderr})`, 30_000);
  const longId = `id-${'z'.repeat(2 * 1024 * 1024)}`;
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: '2.0', id: longId, method: 'tools/call', params: { name: 'lookup_inventory', arguments: { query: 'dock' } } })}\n`,
  );
  await waitFor(() => lines.length === 2, `the call's answer (stderr: ${stderr})`, 60_000);
  const answer = JSON.parse(lines[1]!) as { id: unknown; result?: unknown };
  assert.equal(answer.id, longId, 'the client gets its own id back, whole');
  assert.ok(answer.result, 'the call succeeded');

  const calls = readTrail(dirs.logDir).filter((record) => record.action === 'tool_call');
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.request_id, `${longId.slice(0, MAX_ID_LENGTH)}...[truncated ${longId.length - MAX_ID_LENGTH} chars]`);
  assert.equal(calls[0]!.truncated, true);
  child.stdin.end();
  await exited(child);
  verifies(dirs.logDir);
});
