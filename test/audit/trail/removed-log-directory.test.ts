import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';
import { runCli } from '../../support/cli.js';
import { connectOverStdio, helpdeskDirs } from '../../support/helpdesk-process.js';
import { readTrail } from '../../support/trail-files.js';
import { processWriterWentIdle, writerWentIdle } from '../../support/writer-idle.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const KEY = 'removed-directory-key';

test('a log directory removed while the writer is idle: the chain is not restarted, a recovery record names the lost range, verify fails', async () => {
  const dir = helpdeskDirs('removed-dir').logDir;
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher(KEY) });
  for (let i = 1; i <= 3; i++) await writer.append(auditRecord(i));
  await writerWentIdle(writer);
  rmSync(dir, { recursive: true });
  await writer.append(auditRecord(4));
  writer.close();

  const records = readTrail(dir);
  assert.deepEqual(
    records.map((record) => [record.action, (record as unknown as { seq: number }).seq]),
    [
      ['recovery', 4],
      ['tool_call', 5],
    ],
  );
  assert.deepEqual(records[0]!.input_summary['missing_records'], { first_seq: 1, last_seq: 3, found_seq: 0 });
  const result = runCli(['verify', dir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /missing-file: seq 1\.\.3 missing/);
  assert.match(result.stdout, /a writer found seq 1\.\.3 gone/);
});

test('a real server whose log directory is removed between calls says so, and verify fails', async () => {
  const dirs = helpdeskDirs('removed-dir-server');
  const client = await connectOverStdio(dirs);
  await client.callTool({ name: 'lookup_inventory', arguments: { query: 'monitor' } });
  await processWriterWentIdle((client.transport as StdioClientTransport).pid!, dirs.logDir, readTrail(dirs.logDir).length);
  rmSync(dirs.logDir, { recursive: true });
  await client.callTool({ name: 'lookup_inventory', arguments: { query: 'laptop' } });
  await client.close();

  const [recovery, call] = readTrail(dirs.logDir);
  assert.equal(recovery!.action, 'recovery');
  assert.match(String(recovery!.result_summary), /seq 1\.\.\d+ .*gone/);
  assert.equal(call!.tool_name, 'lookup_inventory');
  const result = runCli(['verify', dirs.logDir]);
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /missing-file/);
});
