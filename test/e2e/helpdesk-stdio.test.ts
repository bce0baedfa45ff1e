import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CrossProcessLock } from '../../src/audit/trail/cross-process-lock.js';
import {
  collectLines,
  connectOverStdio,
  exited,
  helpdeskDirs,
  helpdeskServerPath,
  INITIALIZE,
  jsonRpc,
  spawnHelpdesk,
  waitFor,
} from '../support/helpdesk-process.js';
import { fillDisk } from '../support/full-disk.js';
import { readTrail, readTrailLines } from '../support/trail-files.js';

function firstText(result: CallToolResult): string {
  const item = result.content[0];
  return item?.type === 'text' ? item.text : '';
}

test('every tool and every failure kind over real stdio gives exactly one record each', async () => {
  const dirs = helpdeskDirs('e2e-tools');
  const client = await connectOverStdio(dirs);
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;

  assert.equal((await call('lookup_inventory', { query: 'moniter' })).isError, undefined);
  const created = await call('create_ticket', { title: 'VPN drops', priority: 'P2', requester: 'lee', description: 'x'.repeat(400) });
  const ticketId = (created.structuredContent as { ticket: { id: string } }).ticket.id;
  assert.match(ticketId, /^TCK-[0-9A-F]{8}$/);
  assert.match(firstText(await call('get_ticket', { id: ticketId })), /VPN drops/);
  assert.equal((await call('search_policies', { query: 'remote access' })).isError, undefined);
  assert.equal(firstText(await call('lookup_inventory', { query: '../etc/passwd' })), 'Invalid query');
  assert.equal(firstText(await call('search_policies', { query: 'vpn\u0000' })), 'Invalid query');
  assert.match(firstText(await call('create_ticket', { title: 'x', priority: 'P7' })), /Input validation error/);
  assert.match(firstText(await call('drop_database', {})), /Tool drop_database not found/);
  assert.match(firstText(await call('get_ticket', { id: 'TCK-00000000' })), /Ticket TCK-00000000 not found/);
  await client.close();

  const records = readTrail(dirs.logDir).filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    records.map((record) => [record.tool_name, record.success]),
    [
      ['lookup_inventory', true],
      ['create_ticket', true],
      ['get_ticket', true],
      ['search_policies', true],
      ['lookup_inventory', false],
      ['search_policies', false],
      ['create_ticket', false],
      ['drop_database', false],
      ['get_ticket', false],
    ],
  );
  for (const record of records) {
    assert.equal(record.transport, 'stdio');
    assert.deepEqual(record.client, { name: 'e2e-client', version: '2.0.0' });
    assert.equal(record.service, 'it-helpdesk');
    assert.match(record.trace_id, /^[0-9a-f]{32}$/);
  }
  const [lookup, create] = records;
  assert.equal(lookup?.result_summary, 'Found 4 items');
  assert.equal(create?.result_summary, `Created ticket ${ticketId} (P2)`);
  assert.match(String(create?.input_summary['description']), /^x{256}\.\.\.\[truncated 144 chars\]$/);
  assert.deepEqual(records[4]?.input_summary, { query: '../etc/passwd' });
  assert.equal(records[4]?.error, 'Invalid query');
});

test('stdout carries JSON-RPC only, even with OpenTelemetry diagnostics at their most verbose', async () => {
  const dirs = helpdeskDirs('e2e-stdout');
  const child = spawnHelpdesk(dirs, { OTEL_LOG_LEVEL: 'all' });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = collectLines(child);
  child.stdin.write(
    INITIALIZE +
      jsonRpc(1, 'tools/list') +
      jsonRpc(2, 'tools/call', { name: 'lookup_inventory', arguments: { query: 'dock' } }) +
      jsonRpc(3, 'tools/call', { name: 'nope' }),
  );
  child.stdin.end();
  assert.deepEqual(await exited(child), { code: 0, signal: null });
  assert.equal(lines.length, 4);
  for (const line of lines) assert.equal((JSON.parse(line) as { jsonrpc: string }).jsonrpc, '2.0');
  assert.match(stderr, /^otel (debug|verbose): /m);
});

test('an unwritable log directory stops the server at startup, naming the path', async () => {
  const dirs = helpdeskDirs('e2e-unwritable');
  mkdirSync(join(dirs.logDir, '..'), { recursive: true });
  writeFileSync(dirs.logDir, 'a file where the log directory should be');
  const child = spawnHelpdesk({ ...dirs, logDir: join(dirs.logDir, 'audit') });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stdout = collectLines(child);
  assert.deepEqual(await exited(child), { code: 1, signal: null });
  assert.match(stderr, new RegExp(`audit log directory ${join(dirs.logDir, 'audit')} is not writable: ENOTDIR`));
  assert.deepEqual(stdout, []);
});

test('a write failure at run time fails the call with a clear error; the server stays up', async (t) => {
  const dirs = helpdeskDirs('e2e-full');
  mkdirSync(dirs.logDir, { recursive: true });
  const child = spawnHelpdesk(dirs);
  // A server left running (it retries the unwritten records for ever) would keep this file from ending.
  t.after(() => child.kill('SIGKILL'));
  // The server's disk is full before it reads its first request: opening works, every write fails (support/full-disk.ts).
  fillDisk(0, child.pid!);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = collectLines(child);
  child.stdin.write(INITIALIZE + jsonRpc(1, 'tools/call', { name: 'lookup_inventory', arguments: { query: 'dock' } }) + jsonRpc(2, 'tools/list'));
  // A loaded machine has been seen taking over 10 s to start the server and answer.
  await waitFor(() => lines.length >= 3, 'three responses', 60_000);
  child.stdin.end();
  await exited(child);
  const byId = new Map(
    lines.map((line) => JSON.parse(line) as { id: number; error?: { message: string }; result?: { tools?: unknown[] } }).map((m) => [m.id, m]),
  );
  assert.match(byId.get(1)?.error?.message ?? '', /^Audit record could not be written \(EFBIG.*the result of this call is withheld$/);
  assert.equal(byId.get(2)?.result?.tools?.length, 4);
  assert.match(stderr, /audit: unwritten record \{.*"tool_name":"lookup_inventory"/);
});

test('over stdio no response arrives before its record: checked in the client at the moment each response arrives', async () => {
  const dirs = helpdeskDirs('e2e-record-first');
  const env = { ...(process.env as Record<string, string>), AUDIT_LOG_DIR: dirs.logDir, HELPDESK_DATA_DIR: dirs.dataDir };
  const transport = new StdioClientTransport({ command: process.execPath, args: [helpdeskServerPath], env, stderr: 'pipe' });
  const client = new Client({ name: 'record-first', version: '1.0.0' });
  await client.connect(transport);
  const recordedOnArrival: string[] = [];
  const unrecordedOnArrival: string[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (...args: Parameters<typeof deliver>) => {
    const [message] = args;
    if ('id' in message && ('result' in message || 'error' in message)) {
      // Read synchronously, before the client library sees the response.
      const id = String(message.id);
      const recorded = readTrailLines(dirs.logDir).some((line) => {
        const record = JSON.parse(line) as { action: string; request_id: string | null };
        return record.action === 'tool_call' && record.request_id === id;
      });
      (recorded ? recordedOnArrival : unrecordedOnArrival).push(id);
    }
    deliver.apply(transport, args);
  };
  // Another process holds the writers' lock, as a busy writer would: the records wait for it, and so must the responses.
  const lock = new CrossProcessLock(join(dirs.logDir, 'audit.lock'), 10_000);
  await waitFor(() => lock.tryAcquire(), "the writers' lock");
  const calls = Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'lookup_inventory', arguments: { query: `dock ${i}` } }));
  await new Promise((resolve) => setTimeout(resolve, 300)); // ample time to answer, had the server not waited for its records
  const answeredWhileLocked = recordedOnArrival.length + unrecordedOnArrival.length;
  lock.unlock();
  await Promise.all(calls);
  await client.close();
  assert.equal(answeredWhileLocked, 0, 'responses went out while their records could not be written');
  assert.deepEqual(unrecordedOnArrival, []);
  assert.equal(recordedOnArrival.length, 20);
});
