// The committer when the disk fills at an exact place: right at a line's end within one write, and right after a
// commit's own records, when retention's record comes next. The disk is this process's file size limit (fillDisk).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { Checkpointer } from '../../../src/audit/checkpoint/checkpointer.js';
import { CHECKPOINT_DIR, checkpointFileName } from '../../../src/audit/checkpoint/checkpoint-files.js';
import type { AuditRecord } from '../../../src/audit/record/audit-record.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { fillDisk, fillDiskAfter, FULL_DISK_ERROR } from '../../support/full-disk.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';

const hasher = new ChainHasher('committer-full-disk-key');

let spaceReturns = (): void => {};
afterEach(() => spaceReturns()); // a failed test must not leave this process's disk full

/** Each record's line length (with its newline), from the same records chained in a directory of their own. */
async function lineLengths(records: AuditRecord[]): Promise<number[]> {
  const probe = makeTempDir('full-disk-probe');
  const writer = new ChainedTrailWriter({ directory: probe, hasher });
  for (const record of records) await writer.append(record);
  writer.close();
  return readFileSync(join(probe, readdirSync(probe).find((name) => name.endsWith('.jsonl'))!), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((line) => Buffer.byteLength(line) + 1);
}

async function verified(dir: string): Promise<void> {
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, [], JSON.stringify(report, null, 1));
}

test('a write that stops exactly at the end of a line: every whole line is acknowledged and written once, the rest fail and come late', async () => {
  const timestamp = new Date().toISOString();
  const records = [1, 2, 3].map((n) => auditRecord(n, timestamp));
  const [l1, l2] = (await lineLengths(records)) as [number, number];
  const dir = makeTempDir('full-disk-line-end');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  spaceReturns = fillDisk(l1 + l2); // the batch's one write reaches the file up to the end of its second line
  const outcomes = await Promise.allSettled(records.map((record) => writer.append(record)));
  spaceReturns();
  writer.close();
  assert.deepEqual(
    outcomes.map((outcome) => outcome.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
  assert.match(String((outcomes[2] as PromiseRejectedResult).reason), FULL_DISK_ERROR);
  assert.deepEqual(
    readTrail(dir).map((record) => [record.action, record.request_id, record.late]),
    [
      ['tool_call', '1', undefined],
      ['tool_call', '2', undefined],
      ['audit_gap', null, undefined],
      ['tool_call', '3', true],
    ],
  );
  await verified(dir);
});

test("retention's record failing on a full disk is tried again at the next commit once space is back, before any file is retired", async () => {
  const dir = makeTempDir('full-disk-retention');
  let today = '2026-05-01';
  const writer = new ChainedTrailWriter({ directory: dir, hasher, retentionDays: 1, now: () => new Date(`${today}T12:00:00.000Z`) });
  const at = (day: string, second: number) => `${day}T12:00:0${second}.000Z`;
  for (const day of ['2026-05-01', '2026-05-02']) {
    today = day;
    await writer.append(auditRecord(1, at(day, 1)));
  }
  // On 05-03 the file of 05-01 is past the one day kept: the first commit of the day writes its record, then retention's.
  today = '2026-05-03';
  const [first] = await lineLengths([auditRecord(3, at(today, 1))]);
  spaceReturns = fillDisk(first); // room for the day's first line only
  await writer.append(auditRecord(3, at(today, 1)));
  spaceReturns();
  assert.ok(!readTrail(dir).some((record) => record.action === 'retention'), 'no room for the retention record');
  assert.ok(existsSync(join(dir, 'audit_2026-05-01.jsonl.gz')), 'nothing is retired without its record');

  await writer.append(auditRecord(4, at(today, 2)));
  writer.close();
  assert.deepEqual(
    readTrail(dir).map((record) => [record.action, record.request_id]),
    [
      ['tool_call', '3'],
      ['tool_call', '4'],
      ['retention', null],
    ],
    "today's file: the two calls, then retention's record at the second commit",
  );
  assert.ok(!existsSync(join(dir, 'audit_2026-05-01.jsonl.gz')), 'retired once its record is written');
  await verified(dir);
});

test('a write to a new file that the full disk refused whole tells the checkpointer nothing: it signs the records written once space is back', async () => {
  const dir = makeTempDir('full-disk-checkpoints');
  const { privateKey } = generateKeyPairSync('ed25519');
  const checkpointer = new Checkpointer(dir, { privateKey, origin: 'full-disk.example/trail', every: 1, intervalMs: 60_000, mirror: null });
  let today = '2026-05-01';
  const writer = new ChainedTrailWriter({ directory: dir, hasher, checkpointer, now: () => new Date(`${today}T12:00:00.000Z`) });
  await writer.append(auditRecord(1, `${today}T12:00:01.000Z`));
  today = '2026-05-02';
  spaceReturns = fillDisk(0); // the new day's file is created, but not a byte reaches it
  await assert.rejects(writer.append(auditRecord(2, `${today}T12:00:01.000Z`)), FULL_DISK_ERROR);
  spaceReturns();
  await writer.append(auditRecord(3, `${today}T12:00:02.000Z`));
  writer.close();
  // 05-02 holds the gap, the late record and the next one: the last checkpoint covers all four records.
  const signed = readdirSync(join(dir, CHECKPOINT_DIR)).sort();
  assert.equal(signed.at(-1), checkpointFileName(4), signed.join(', '));
  await verified(dir);
});

test('a batch across two days whose first write fails writes nothing of the second day before it: every record after the failure fails too, with the write error', async () => {
  const dir = makeTempDir('full-disk-two-days');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date('2026-05-02T00:00:00.000Z') });
  await writer.append(auditRecord(1, '2026-05-01T23:59:58.000Z'));
  // Full at the end of 05-01's file only: 05-02's new file would still have room for a line.
  spaceReturns = fillDiskAfter(join(dir, 'audit_2026-05-01.jsonl'));
  const settled = Promise.allSettled([
    writer.append(auditRecord(2, '2026-05-01T23:59:59.000Z')),
    writer.append(auditRecord(3, '2026-05-02T00:00:00.000Z')),
    writer.append(auditRecord(4, '2026-05-02T00:00:00.500Z')), // two after the failure: each is answered with the write error
  ]);
  const outcomes = await Promise.race([settled, new Promise<'unsettled'>((resolve) => setTimeout(resolve, 10_000, 'unsettled').unref())]);
  spaceReturns();
  writer.close();
  assert.notEqual(outcomes, 'unsettled', 'every caller is answered');
  assert.deepEqual(
    (outcomes as PromiseSettledResult<void>[]).map((outcome) => outcome.status),
    ['rejected', 'rejected', 'rejected'],
  );
  for (const outcome of outcomes as PromiseRejectedResult[]) assert.match(String(outcome.reason), FULL_DISK_ERROR, 'with the write error itself');
  assert.deepEqual(
    readTrail(dir).map((record) => [record.action, record.request_id, record.late]),
    [
      ['tool_call', '1', undefined],
      ['audit_gap', null, undefined],
      ['tool_call', '2', true],
      ['tool_call', '3', true],
      ['tool_call', '4', true],
    ],
    'the late records in their order, after the gap',
  );
  await verified(dir);
});

test('a retention run that fails part-way (the disk full while gzipping a day) says so on stderr and leaves the day in place', async () => {
  const dir = makeTempDir('full-disk-gzip');
  let today = '2026-05-01';
  const writer = new ChainedTrailWriter({ directory: dir, hasher, retentionDays: 30, now: () => new Date(`${today}T12:00:00.000Z`) });
  // Enough different records on 05-01 that their gzip is larger than the one line 05-02 begins with.
  await Promise.all(Array.from({ length: 40 }, (_, n) => writer.append(auditRecord(n, `2026-05-01T12:00:00.${String(n).padStart(3, '0')}Z`))));
  today = '2026-05-02';
  const next = auditRecord(1, `${today}T12:00:01.000Z`);
  const first = (await lineLengths(Array(41).fill(next))).at(-1)!; // its line as the trail's 41st record
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => said.push(String(chunk)) > 0) as typeof process.stderr.write;
  spaceReturns = fillDisk(first); // room for 05-02's first line, not for the gzip of 05-01 that retention writes next
  try {
    await writer.append(next);
  } finally {
    spaceReturns();
    process.stderr.write = write;
  }
  writer.close();
  assert.match(said.join(''), /^audit: retention failed: .*EFBIG/m);
  assert.ok(existsSync(join(dir, 'audit_2026-05-01.jsonl')), 'the day is still there, not compressed');
  await verified(dir);
});
