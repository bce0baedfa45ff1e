import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../../../src/audit/record/audit-record.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';
import { waitFor } from '../../support/helpdesk-process.js';

const hasher = new ChainHasher('child-key');

// Two trails of one process on one directory (startAuditTrail twice, say) flush synchronously at exit, one after the
// other. The first keeps the lock idle; its hand-over is driven by an fs.watch event, which cannot run while the second
// waits synchronously for the lock: the second then waited for the first's lock to go stale (10 s by default).
test('a synchronous flush does not wait for the stale time on a lock another writer of the same process keeps idle', async (t) => {
  const dir = makeTempDir('same-process-writers');
  const first = new ChainedTrailWriter({ directory: dir, hasher });
  const second = new ChainedTrailWriter({ directory: dir, hasher });
  t.after(() => {
    second.close();
    first.close();
  });
  await first.append(auditRecord(1));
  await writerWentIdle(first);

  let written: Error | undefined | 'pending' = 'pending';
  second.appendWithCallback(auditRecord(2), (error) => (written = error));
  const started = Date.now();
  second.flushSync(); // as the exit handler does
  const waited = Date.now() - started;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(written, undefined, 'the record is written');
  assert.ok(waited < 3000, `the flush waited ${waited} ms for the lock`);

  second.close();
  first.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 2);
});

// A writer settles each run's callbacks inside its commit. A callback that makes another writer of the same process
// wait synchronously for the lock (flushSync, as an exit handler does) asks the first to let go in the middle of that
// commit. It cannot (its second run is still to come), and while the waiter blocks, its lock cannot be refreshed:
// the waiter used to wait for it to go stale, take it, and write the seq the first writer then wrote too (a fork).
// The waiter gives up at once instead: its record fails closed and is written late, after an audit_gap.
test('a writer asked to let go in the middle of a commit finishes it; the waiter of its own process fails closed at once', async (t) => {
  const dir = makeTempDir('same-process-mid-commit');
  // Every record past the first line of a file opens a new part: the first writer's batch of two is two runs.
  const first = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: 1, lockStaleMs: 2000 });
  const second = new ChainedTrailWriter({ directory: dir, hasher, lockStaleMs: 2000 });
  t.after(() => {
    second.close();
    first.close();
  });
  const outcomes = new Map<number, Error | undefined>();
  first.appendWithCallback(auditRecord(1), (error) => {
    outcomes.set(1, error);
    second.appendWithCallback(auditRecord(3), (secondError) => outcomes.set(3, secondError));
    second.flushSync();
  });
  first.appendWithCallback(auditRecord(2), (error) => outcomes.set(2, error));
  await waitFor(() => outcomes.size === 3, 'the three records to be settled');
  assert.equal(outcomes.get(1), undefined);
  assert.equal(outcomes.get(2), undefined, 'the commit under way was finished under its lock');
  assert.match(outcomes.get(3)?.message ?? '', /stayed busy/, 'the waiter failed closed');

  second.close(); // writes the kept record, late
  first.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  // In seq order, across the day's parts.
  const records = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').trim().split('\n'))
    .map((line) => JSON.parse(line) as AuditRecord & { seq: number })
    .sort((a, b) => a.seq - b.seq);
  assert.deepEqual(
    records.map((record) => [record.action, record.request_id, record.late ?? false]),
    [
      ['tool_call', '1', false],
      ['tool_call', '2', false],
      ['audit_gap', null, false],
      ['tool_call', '3', true],
    ],
  );
});
