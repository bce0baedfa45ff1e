import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '../../src/index.js';
import { connectOverStdio, helpdeskDirs } from '../support/helpdesk-process.js';
import { readTrail } from '../support/trail-files.js';

function shell(cwd: string, script: string): string {
  return execFileSync('bash', ['-c', script], { cwd, encoding: 'utf8' });
}

/** The README's jq recipes, as printed there, by their trailing comment: `cat logs/audit_*.jsonl | jq …   # failures only`. */
function readmeRecipes(): Map<string, string> {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const section = readme.split('\n## Reading the trail')[1]?.split('\n## ')[0];
  assert.ok(section, 'README has a "Reading the trail" section');
  const recipes = new Map<string, string>();
  for (const [, block] of section.matchAll(/```bash\n([\s\S]*?)```/g)) {
    for (const line of block!.trim().split('\n')) {
      const [, command, label] = /^(.*\S)\s+# (.+)$/.exec(line) ?? [];
      assert.ok(command && label, `recipe without a label: ${line}`);
      assert.match(command, /^cat logs\/audit_\*\.jsonl \|/, 'recipes read every day: audit_*.jsonl, not a fixed date');
      recipes.set(label, command);
    }
  }
  return recipes;
}

test("the README's jq recipes run as printed on the trail and give the right answers", async () => {
  const dirs = helpdeskDirs('e2e-jq');
  const client = await connectOverStdio(dirs);
  for (const query of ['monitor', 'laptop', 'dock', '../../etc/shadow']) await client.callTool({ name: 'lookup_inventory', arguments: { query } });
  await client.callTool({ name: 'search_policies', arguments: { query: 'byod' } });
  await client.callTool({ name: 'create_ticket', arguments: { title: 'Printer repair', priority: 'P3' } });
  await client.callTool({ name: 'create_ticket', arguments: { title: 'Bad', priority: 'urgent' } });
  await client.close();
  const records: AuditRecord[] = readTrail(dirs.logDir);
  const cwd = `${dirs.logDir}/..`;

  const recipes = readmeRecipes();
  const recipe = (label: string): string => {
    const command = recipes.get(label);
    assert.ok(command, `the README has no recipe "${label}"`);
    return shell(cwd, command);
  };

  const failures = recipe('failures only')
    .trim()
    .split(/\n(?=\{)/);
  assert.deepEqual(
    failures.map((text) => (JSON.parse(text) as AuditRecord).tool_name),
    ['lookup_inventory', 'create_ticket'],
  );

  const perTool = recipe('calls per tool');
  // The session's start and end records carry no tool name: they count under null.
  assert.deepEqual(
    perTool
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)),
    [
      ['4', 'lookup_inventory'],
      ['2', 'null'],
      ['2', 'create_ticket'],
      ['1', 'search_policies'],
    ],
  );
  // Keeping only tool calls drops them.
  assert.deepEqual(
    recipe('tool calls per tool')
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/)),
    [
      ['4', 'lookup_inventory'],
      ['2', 'create_ticket'],
      ['1', 'search_policies'],
    ],
  );

  const mean = (text: string, of: AuditRecord[]): void => {
    const expected = of.reduce((sum, record) => sum + record.duration_ms, 0) / of.length;
    assert.match(text.trim(), /^[\d.e-]+ms$/);
    assert.ok(Math.abs(parseFloat(text) - expected) <= expected * 1e-4, `${text} vs ${expected}`);
  };
  mean(recipe('mean duration'), records);
  mean(
    recipe('mean tool-call duration'),
    records.filter((record) => record.action === 'tool_call'),
  );

  const security = recipe('security events')
    .trim()
    .split(/\n(?=\{)/);
  assert.deepEqual(
    security.map((text) => (JSON.parse(text) as AuditRecord).input_summary),
    [{ query: '../../etc/shadow' }],
  );

  const viewed = recipe('view');
  assert.equal(viewed.match(/"tool_name"/g)?.length, records.length);
});
