import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../support/chained-trail.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/trail-files.js';

/** --json wherever a report is printed, the time window, and the CSV export's columns, on a real chained trail. */
const KEY = 'report-options-key';
const dir = makeTempDir('cli-report-options');
const FILE = 'audit_2026-01-15.jsonl';

before(async () => {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher(KEY) });
  await writer.append(
    auditRecord(1, '2026-01-15T09:00:00.000Z', {
      client: { name: 'claude-ai', version: '1.2' },
      capture: { input: 'summary', result: 'summary' },
      session_id: 's-1',
    }),
  );
  await writer.append(auditRecord(2, '2026-01-15T10:00:00.000Z', { success: false, error: 'disk full', late: true }));
  await writer.append(auditRecord(3, '2026-01-15T11:00:00.000Z', { redacted: true, redacted_fields: ['input_summary.query'] }));
  writer.close();
});

const lines = () => readFileSync(join(dir, FILE), 'utf8').split('\n').filter(Boolean);

test('an inverted or empty --since/--until window is a usage error in every command that filters, not "0 records"', () => {
  const windows = [
    ['--since', '2026-01-16', '--until', '2026-01-15'],
    ['--since', '1h', '--until', '2h'],
    ['--since', '2026-01-15T10:00:00Z', '--until', '2026-01-15T10:00:00Z'],
  ];
  for (const command of ['query', 'failures', 'stats', 'tail', 'export']) {
    for (const window of windows) {
      const result = runCli([command, dir, ...window]);
      assert.equal(result.status, 2, `${command} ${window.join(' ')}: ${result.stdout}`);
      assert.equal(result.stdout, '');
      assert.match(
        result.stderr,
        new RegExp(`^mcp-audit ${command}: --since ${window[1]} \\(.*\\) is not before --until ${window[3]} \\(.*\\): the window is empty\\n`),
      );
    }
    const ordered = runCli([command, dir, '--since', '2026-01-15T09:30:00Z', '--until', '2026-01-15T10:30:00Z']);
    assert.equal(ordered.status, 0, `${command}: ${ordered.stderr}`);
  }
});

test('--json output parses, in every command that prints a report', () => {
  const jsonl = (args: string[]) => {
    const result = runCli(args, { AUDIT_HMAC_KEY: KEY });
    assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  assert.deepEqual(
    jsonl(['query', dir, '--json']).map((record) => record['seq']),
    [1, 2, 3],
  );
  assert.deepEqual(
    jsonl(['failures', dir, '--json']).map((record) => record['seq']),
    [2],
  );
  assert.deepEqual(
    jsonl(['tail', dir, '-n', '1', '--json']).map((record) => record['seq']),
    [3],
  );
  assert.equal((JSON.parse(runCli(['stats', dir, '--json']).stdout) as { total: { calls: number } }).total.calls, 3);
  assert.equal(jsonl(['verify', dir, '--json'])[0]!['ok'], true);
  const exported = runCli(['export', dir, '--json']);
  assert.deepEqual(
    JSON.parse(exported.stdout),
    lines().map((line) => JSON.parse(line)),
  );
  assert.equal(exported.stdout, runCli(['export', dir, '--format', 'json']).stdout);
});

test('the CSV export has a column for every field of the record, the chain fields included, with their values', () => {
  const csv = runCli(['export', dir, '--format', 'csv']);
  assert.equal(csv.status, 0, csv.stderr);
  const [header, ...rows] = csv.stdout.split('\r\n').filter(Boolean);
  const columns = header!.split(',');
  // Every key a written line has (`client` is split in two), and nothing else.
  const fields = new Set(
    lines()
      .flatMap((line) => Object.keys(JSON.parse(line) as object))
      .flatMap((key) => (key === 'client' ? ['client_name', 'client_version'] : [key])),
  );
  assert.deepEqual([...columns].sort(), [...fields].sort());
  assert.deepEqual(columns.slice(-3), ['seq', 'prev_hash', 'hash']);
  for (const [index, line] of lines().entries()) {
    const record = JSON.parse(line) as { seq: number; prev_hash: string; hash: string; late?: boolean; capture: unknown };
    const cells = rows[index]!.split(',');
    assert.deepEqual(cells.slice(-3), [String(record.seq), record.prev_hash, record.hash]);
    assert.equal(cells.at(-4), record.late ? 'true' : '');
  }
  assert.ok(rows[0]!.includes('"{""input"":""summary"",""result"":""summary""}"'), rows[0]);
});
