import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import type { TrailWriterConfig } from '../../../src/audit/trail/trail-writer-config.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { fillDisk, FULL_DISK_ERROR } from '../../support/full-disk.js';
import { makeTempDir } from '../../support/trail-files.js';

const hasher = new ChainHasher('backlog-test-key');
const day = '2026-04-01';
const at = (second: number) => `${day}T09:00:0${second}.000Z`;

let spaceReturns = (): void => {};
afterEach(() => spaceReturns()); // a failed test must not leave this process's disk full

function fullDisk(config: Partial<TrailWriterConfig> = {}) {
  const dir = makeTempDir('backlog');
  const file = join(dir, `audit_${day}.jsonl`);
  spaceReturns = fillDisk(0); // every write fails, as on a full disk
  const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${day}T09:00:09.000Z`), ...config });
  const records = (): Array<Record<string, any>> =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, any>)
      : [];
  return { dir, file, writer, records, spaceReturns };
}

async function verified(dir: string): Promise<void> {
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, [], JSON.stringify(report, null, 1));
}

test('a full disk loses no record: records failed closed are written late, marked, after an audit_gap saying their calls got an error instead of their result', async () => {
  const { dir, writer, records, spaceReturns } = fullDisk();
  const failed = await Promise.allSettled([
    writer.append(auditRecord(1, at(1))),
    writer.append(auditRecord(2, at(2), { success: false, result_summary: null, error: 'Invalid query' })),
  ]);
  assert.deepEqual(
    failed.map((result) => result.status),
    ['rejected', 'rejected'],
    'the calls still fail closed',
  );
  spaceReturns();
  await writer.append(auditRecord(3, at(3)));
  writer.close();
  const [gap, ...rest] = records();
  assert.equal(gap!['action'], 'audit_gap');
  assert.deepEqual(gap!['input_summary'], {
    records_not_written: 2,
    first_timestamp: at(1),
    last_timestamp: at(2),
    succeeded: 1,
    written_late: 2,
    records_lost: 0,
  });
  assert.match(gap!['result_summary'], /answered with an error instead of their result/);
  assert.match(gap!['result_summary'], /1 had succeeded/);
  assert.match(gap!['error'], FULL_DISK_ERROR);
  // The records themselves, as built, with their own timestamps, marked late; then the record that came after.
  assert.deepEqual(
    rest.map((record) => [record['request_id'], record['timestamp'], record['late'], record['success']]),
    [
      ['1', at(1), true, true],
      ['2', at(2), true, false],
      ['3', at(3), undefined, true],
    ],
  );
  assert.equal(rest[1]!['error'], 'Invalid query');
  await verified(dir);
});

test('the late records are written once space returns even with no further call', async () => {
  const { dir, writer, records, spaceReturns } = fullDisk();
  await assert.rejects(writer.append(auditRecord(1, at(1))), FULL_DISK_ERROR);
  spaceReturns();
  const deadline = Date.now() + 5000;
  while (records().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(
    records().map((record) => [record['action'], record['late']]),
    [
      ['audit_gap', undefined],
      ['tool_call', true],
    ],
  );
  writer.close();
  await verified(dir);
});

test('closing the writer writes what is kept if it can', async () => {
  const { dir, writer, records, spaceReturns } = fullDisk();
  await assert.rejects(writer.append(auditRecord(1, at(1))), FULL_DISK_ERROR);
  spaceReturns();
  writer.close();
  assert.deepEqual(
    records().map((record) => [record['action'], record['request_id']]),
    [
      ['audit_gap', null],
      ['tool_call', '1'],
    ],
  );
  await verified(dir);
});

test('past the in-memory bound records are only counted: the gap says how many are lost', async () => {
  const size = JSON.stringify(auditRecord(1, at(1))).length;
  const { dir, writer, records, spaceReturns } = fullDisk({ backlogMaxBytes: Math.floor(size * 1.5) });
  const failed = await Promise.allSettled([1, 2, 3].map((n) => writer.append(auditRecord(n, at(n)))));
  assert.ok(failed.every((result) => result.status === 'rejected'));
  spaceReturns();
  await writer.append(auditRecord(4, at(4)));
  writer.close();
  const [gap, ...rest] = records();
  assert.deepEqual(gap!['input_summary'], {
    records_not_written: 3,
    first_timestamp: at(1),
    last_timestamp: at(3),
    succeeded: 3,
    written_late: 1,
    records_lost: 2,
  });
  assert.match(gap!['result_summary'], /2 past the in-memory bound/);
  assert.deepEqual(
    rest.map((record) => [record['request_id'], record['late']]),
    [
      ['1', true],
      ['4', undefined],
    ],
  );
  await verified(dir);
});

test('a disk still full at the retry keeps the records for the next one, without writing them twice', async () => {
  const { dir, writer, records, spaceReturns } = fullDisk();
  await assert.rejects(writer.append(auditRecord(1, at(1))), FULL_DISK_ERROR);
  await assert.rejects(writer.append(auditRecord(2, at(2))), FULL_DISK_ERROR);
  spaceReturns();
  await writer.append(auditRecord(3, at(3)));
  writer.close();
  assert.deepEqual(
    records().map((record) => [record['action'], record['request_id']]),
    [
      ['audit_gap', null],
      ['tool_call', '1'],
      ['tool_call', '2'],
      ['tool_call', '3'],
    ],
  );
  assert.equal(records()[0]!['input_summary']['records_not_written'], 2);
  await verified(dir);
});

test("a gap with every record lost, written with no caller's record to take the service from, names the writer as its service", async () => {
  const { dir, writer, records, spaceReturns } = fullDisk({ backlogMaxBytes: 1 });
  await assert.rejects(writer.append(auditRecord(1, at(1))), FULL_DISK_ERROR);
  spaceReturns();
  writer.close(); // writes the gap alone: nothing kept, nothing appended
  assert.deepEqual(
    records().map((record) => [record['action'], record['service'], record['input_summary']['records_lost']]),
    [['audit_gap', 'mcp-audit', 1]],
  );
  await verified(dir);
});
