import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../src/cli/trail-verifier.js';
import { auditFileNameFor, instrumentMcpServer, startAuditTrail, type AuditTrail } from '../../src/index.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { fillDiskAfter } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

function echoServer(trail: AuditTrail): McpServer {
  const server = new McpServer({ name: 'integrity-test', version: '0.0.1' });
  instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

test("full disk: the call fails with a clear error, the server stays up, writing resumes, the gap is recorded and the withheld call's record is written late", async (t) => {
  const logDir = makeTempDir('full-disk');
  const trail = startAuditTrail({ logDir, register: false, serviceName: 'full-disk' });
  const client = await connectInMemory(echoServer(trail));
  await client.callTool({ name: 'echo', arguments: { text: 'before' } });
  // The disk fills up right at the end of the day file: the next write fails part-way (support/full-disk.ts).
  const spaceReturns = fillDiskAfter(join(logDir, auditFileNameFor(new Date().toISOString())));
  t.after(spaceReturns);
  await assert.rejects(client.callTool({ name: 'echo', arguments: { text: 'lost' } }), /Audit record could not be written \(EFBIG/);
  spaceReturns();
  const result = await client.callTool({ name: 'echo', arguments: { text: 'kept' } });
  assert.deepEqual(result.content, [{ type: 'text', text: 'kept' }]);
  await trail.shutdown();
  const records = readTrail(logDir).filter((record) => record.action !== 'session_start' && record.action !== 'session_end');
  assert.deepEqual(
    records.map((record) => record.action),
    ['tool_call', 'audit_gap', 'tool_call', 'tool_call'],
  );
  assert.equal(records[1]!.input_summary['records_not_written'], 1);
  assert.equal(records[1]!.input_summary['succeeded'], 1);
  assert.match(records[1]!.result_summary ?? '', /1 had succeeded: their effects happened, their results were withheld/);
  assert.match(records[1]!.error ?? '', /EFBIG/);
  // The call whose result was withheld: its own record, written late once space returned, before the next call's.
  assert.deepEqual([records[2]!.input_summary['text'], records[2]!.success, records[2]!.late], ['lost', true, true]);
  assert.ok(records[2]!.timestamp < records[1]!.timestamp, 'the late record keeps the time of its call');
  assert.equal(records[3]!.input_summary['text'], 'kept');
  assert.equal(records[3]!.late, undefined);
  assert.deepEqual((await verifyTrail(logDir, { hasher: ChainHasher.fromEnv() })).problems, []);
});

/** Paths of the files this process holds open (Linux /proc). */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // closed since the listing
    }
  });
}

test('SIGHUP reopens the audit file by path at once: the moved file is let go, and records after a logrotate move land in the new file', async () => {
  const logDir = makeTempDir('sighup');
  const trail = startAuditTrail({ logDir, register: false });
  const client = await connectInMemory(echoServer(trail));
  await client.callTool({ name: 'echo', arguments: { text: 'before' } });
  const dayFile = join(logDir, auditFileNameFor(new Date().toISOString()));
  renameSync(dayFile, `${dayFile}.1`);
  // Until told, the writer still holds the moved file (it would notice the move only at its next write).
  assert.ok(openFiles().includes(`${dayFile}.1`), 'the writer holds its file open');
  let handled = false;
  process.once('SIGHUP', () => (handled = true)); // runs after the trail's own listener
  process.kill(process.pid, 'SIGHUP'); // without the handler this would end the test process
  // The signal arrives through the event loop; a signal alone does not keep the loop alive, a timer does.
  for (let i = 0; i < 400 && !handled; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(handled, 'SIGHUP was not delivered');
  // What logrotate's postrotate relies on: the old file is closed by the signal itself, not by some later write.
  assert.ok(!openFiles().includes(`${dayFile}.1`), 'the moved file is still open after SIGHUP');
  await client.callTool({ name: 'echo', arguments: { text: 'after' } });
  await trail.shutdown();
  assert.match(readFileSync(`${dayFile}.1`, 'utf8'), /before/);
  assert.doesNotMatch(readFileSync(`${dayFile}.1`, 'utf8'), /after/);
  assert.match(readFileSync(dayFile, 'utf8'), /after/);
});
