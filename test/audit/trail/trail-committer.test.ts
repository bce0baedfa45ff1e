// settle(): each caller's callback is called once, and one that throws neither stops the others nor is swallowed;
// the size cap's arithmetic at its exact boundary; repairs within a batch, and a trail deleted under an idle writer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../../../src/audit/record/audit-record.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { settle, type PendingRecord } from '../../../src/audit/trail/trail-committer.js';
import { trailFileName } from '../../../src/audit/trail/trail-file-name.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const hasher = new ChainHasher('committer-key');

/** Runs `body`, then lets the next ticks run, and returns what was thrown uncaught meanwhile (kept from node:test). */
async function uncaughtDuring(body: () => void): Promise<unknown[]> {
  const thrown: unknown[] = [];
  process.setUncaughtExceptionCaptureCallback((error) => thrown.push(error));
  try {
    body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.setUncaughtExceptionCaptureCallback(null);
  }
  return thrown;
}

test('a record is settled once: a second settle does not call its callback again', async () => {
  const calls: Array<Error | undefined> = [];
  const entry: PendingRecord = { record: auditRecord(1), done: (error) => calls.push(error) };
  const failure = new Error('disk full');
  const thrown = await uncaughtDuring(() => {
    settle(entry, failure);
    settle(entry);
  });
  assert.deepEqual(calls, [failure]);
  assert.deepEqual(thrown, []);
  assert.equal(entry.done, null);
});

test('a callback that throws does not stop the rest of the batch, and its error is thrown uncaught on its own tick', async () => {
  const broken = new Error("a caller's callback broke");
  const settled: number[] = [];
  const batch: PendingRecord[] = [1, 2, 3].map((seq) => ({
    record: auditRecord(seq),
    done: () => {
      settled.push(seq);
      if (seq === 1) throw broken;
    },
  }));
  const thrown = await uncaughtDuring(() => {
    for (const entry of batch) settle(entry);
    assert.deepEqual(settled, [1, 2, 3], 'every callback was called before the error is rethrown');
  });
  assert.deepEqual(thrown, [broken]);
});

/** Each record's line length (with its newline), from the same records chained without a cap in a directory of their own. */
async function lineLengths(records: AuditRecord[]): Promise<number[]> {
  const probe = makeTempDir('committer-probe');
  const uncapped = new ChainedTrailWriter({ directory: probe, hasher });
  for (const record of records) await uncapped.append(record);
  uncapped.close();
  return readFileSync(join(probe, readdirSync(probe).find((name) => name.endsWith('.jsonl'))!), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((line) => Buffer.byteLength(line) + 1);
}

/** The size of each trail file of `day` in `dir`, by part. */
function partSizes(dir: string, day: string): number[] {
  const parts = readdirSync(dir).filter((name) => name.startsWith(`audit_${day}`) && name.endsWith('.jsonl'));
  return parts.map((_, part) => statSync(join(dir, trailFileName(day, part))).size);
}

/** The records of each part of `day`'s file, part 0 first. */
function partRecords(dir: string, day: string): Array<Array<AuditRecord & { seq: number }>> {
  return partSizes(dir, day).map((_, part) =>
    readFileSync(join(dir, trailFileName(day, part)), 'utf8')
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as AuditRecord & { seq: number }),
  );
}

test('with a size cap a file is filled up to exactly the cap, and the next record starts the next part', async () => {
  const timestamp = new Date().toISOString();
  const records = [1, 2, 3].map((n) => auditRecord(n, timestamp));
  const lengths = await lineLengths(records);
  const dir = makeTempDir('committer-cap');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: lengths[0]! + lengths[1]! });
  for (const record of records) await writer.append(record); // one commit each
  writer.close();
  assert.deepEqual(partSizes(dir, timestamp.slice(0, 10)), [lengths[0]! + lengths[1]!, lengths[2]!]);
});

test('one batch crossing the size cap fills each part up to the cap, with one write per part', async () => {
  const timestamp = new Date().toISOString();
  const records = [1, 2, 3, 4, 5].map((n) => auditRecord(n, timestamp));
  const [l1, l2, l3, l4, l5] = (await lineLengths(records)) as [number, number, number, number, number];
  const dir = makeTempDir('committer-cap-batch');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: l1 + l2 });
  await writer.append(records[0]!);
  const writesBefore = writer.stats.writes;
  await Promise.all(records.slice(1).map((record) => writer.append(record))); // one commit: the rest of part 0, part 1, part 2
  const writes = writer.stats.writes - writesBefore;
  writer.close();
  assert.deepEqual(partSizes(dir, timestamp.slice(0, 10)), [l1 + l2, l3 + l4, l5]);
  assert.equal(writes, 3, 'each part is written with one write');
});

test('a record larger than the size cap goes into the current file while it is empty (emptied by copytruncate), and the next starts a part', async () => {
  const timestamp = new Date().toISOString();
  const day = timestamp.slice(0, 10);
  const dir = makeTempDir('committer-cap-small');
  const first = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: 10 });
  await first.append(auditRecord(1, timestamp));
  first.close();
  // logrotate's copytruncate: the file stays, emptied. The next writer finds the trail ending in it at offset 0.
  truncateSync(join(dir, trailFileName(day, 0)), 0);
  const next = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: 10 });
  await next.append(auditRecord(2, timestamp));
  next.close();
  assert.deepEqual(
    partRecords(dir, day).map((records) => records.map((record) => record.action)),
    [['recovery'], ['tool_call']],
    'the recovery record is alone in the emptied file, the record in the next part',
  );
});

test("a batch whose second day's file is found holding a foreign line: the repair's recovery record goes first there, and no record of the batch is written twice", async () => {
  const dir = makeTempDir('committer-repair-later-run');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date('2026-05-02T00:00:00.000Z') });
  await writer.append(auditRecord(1, '2026-05-01T23:59:58.000Z'));
  // Someone else's line where the batch's second run is about to begin a new file: checked, found changed, repaired.
  writeFileSync(join(dir, 'audit_2026-05-02.jsonl'), 'not a record\n', { mode: 0o600 });
  await Promise.all([writer.append(auditRecord(2, '2026-05-01T23:59:59.000Z')), writer.append(auditRecord(3, '2026-05-02T00:00:00.000Z'))]);
  writer.close();
  const records = (day: string) =>
    readFileSync(join(dir, `audit_${day}.jsonl`), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => [(JSON.parse(line) as AuditRecord).action, (JSON.parse(line) as AuditRecord).request_id]);
  assert.deepEqual(records('2026-05-01'), [
    ['tool_call', '1'],
    ['tool_call', '2'],
  ]);
  assert.deepEqual(records('2026-05-02'), [
    ['recovery', null],
    ['tool_call', '3'],
  ]);
});

test("a trail deleted whole under an idle writer is continued from the writer's last record, at the day's first part again", async () => {
  const timestamp = new Date().toISOString();
  const day = timestamp.slice(0, 10);
  const dir = makeTempDir('committer-trail-deleted');
  // A cap smaller than one line: each record starts a part, so the writer has reached part 2.
  const writer = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: 10 });
  for (const n of [1, 2, 3]) await writer.append(auditRecord(n, timestamp));
  assert.equal(partSizes(dir, day).length, 3);
  await writerWentIdle(writer);
  for (const name of readdirSync(dir)) if (name !== 'audit.lock') rmSync(join(dir, name));
  await writer.append(auditRecord(4, timestamp));
  writer.close();
  const parts = partRecords(dir, day);
  assert.deepEqual(
    parts.map((records) => records.map((record) => [record.action, record.seq])),
    [[['recovery', 4]], [['tool_call', 5]]],
    'the new trail starts at part 0, not past the part the deleted one had reached',
  );
  assert.deepEqual(parts[0]![0]!.input_summary, { missing_records: { first_seq: 1, last_seq: 3, found_seq: 0 } });
});
