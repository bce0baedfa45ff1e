import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/index.js';
import { connectOverStdio, helpdeskDirs } from '../support/helpdesk-process.js';
import { readTrail } from '../support/trail-files.js';

function shell(cwd: string, script: string): string {
  return execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8' });
}

test("the seed's jq recipes work unchanged on the trail and give the right answers", async () => {
  const dirs = helpdeskDirs('e2e-jq');
  const client = await connectOverStdio(dirs);
  for (const query of ['monitor', 'laptop', 'dock', '../../etc/shadow']) await client.callTool({ name: 'lookup_inventory', arguments: { query } });
  await client.callTool({ name: 'search_policies', arguments: { query: 'byod' } });
  await client.callTool({ name: 'create_ticket', arguments: { title: 'Printer repair', priority: 'P3' } });
  await client.callTool({ name: 'create_ticket', arguments: { title: 'Bad', priority: 'urgent' } });
  await client.close();
  const records: AuditRecord[] = readTrail(dirs.logDir);
  const cwd = `${dirs.logDir}/..`;

  const failures = shell(cwd, `cat logs/audit_*.jsonl | jq -c 'select(.success == false)'`).trim().split('\n');
  assert.deepEqual(failures.map((line) => (JSON.parse(line) as AuditRecord).tool_name), ['lookup_inventory', 'create_ticket']);

  const perTool = shell(cwd, `cat logs/audit_*.jsonl | jq -r '.tool_name' | sort | uniq -c | sort -rn`);
  // The session's start and end records carry no tool name: they count under null.
  assert.deepEqual(perTool.trim().split('\n').map((line) => line.trim().split(/\s+/)), [
    ['4', 'lookup_inventory'],
    ['2', 'null'],
    ['2', 'create_ticket'],
    ['1', 'search_policies'],
  ]);

  const mean = shell(cwd, `cat logs/audit_*.jsonl | jq '.duration_ms' | awk '{s+=$1; n++} END {print s/n "ms"}'`).trim();
  const expected = records.reduce((sum, record) => sum + record.duration_ms, 0) / records.length;
  assert.match(mean, /^[\d.]+ms$/);
  assert.ok(Math.abs(parseFloat(mean) - expected) <= expected * 1e-4, `${mean} vs ${expected}`);

  const viewed = shell(cwd, `cat logs/audit_*.jsonl | python3 -m json.tool --json-lines`);
  assert.equal(viewed.match(/"tool_name"/g)?.length, records.length);
});
