import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { readTrailHead } from '../../../src/audit/trail/trail-head.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { fillDisk, fillDiskAfter } from '../../support/full-disk.js';
import { makeTempDir } from '../../support/trail-files.js';

// A write that reaches the file only in part leaves a torn line. Whatever comes next, under the same lock or the next
// holder's, must close it before writing, and the head must never name it as a whole line: a record glued to torn
// bytes is acknowledged and yet unreadable. (Both found by review; both predate the head's move off the call's path.)
const hasher = new ChainHasher('torn-write-key');
let spaceReturns = (): void => {};
afterEach(() => spaceReturns());

function headOffset(dir: string): number {
  const head = readTrailHead(join(dir, 'audit.head.json'), hasher);
  assert.ok(head.status === 'ok', JSON.stringify(head));
  return head.head.offset;
}

test("retention's own record torn by a full disk: the writer keeps the lock, and its next record still starts on a line of its own", async () => {
  const dir = makeTempDir('torn-retention');
  let today = '2026-05-01';
  const writer = new ChainedTrailWriter({ directory: dir, hasher, retentionDays: 1, now: () => new Date(`${today}T12:00:00.000Z`) });
  for (const day of ['2026-05-01', '2026-05-02']) {
    today = day;
    await writer.append(auditRecord(1, `${day}T12:00:00.000Z`));
  }
  today = '2026-05-03';
  const record = auditRecord(3, `${today}T12:00:00.000Z`);
  const head = readTrailHead(join(dir, 'audit.head.json'), hasher);
  assert.ok(head.status === 'ok');
  // The new day's file takes record 3 whole; the retention record that follows in the same commit gets 20 bytes.
  const recordBytes = Buffer.byteLength(hasher.chain(record, head.head.last).line);
  spaceReturns = fillDisk(recordBytes + 20);
  await writer.append(record);
  spaceReturns();
  const file = join(dir, 'audit_2026-05-03.jsonl');
  assert.equal(statSync(file).size, recordBytes + 20, 'the retention record is torn');
  await writer.append(auditRecord(6, `${today}T12:00:01.000Z`));
  writer.close();
  const text = readFileSync(file, 'utf8');
  assert.equal(headOffset(dir), text.length);
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.match(report.notes.join('\n'), /torn line .* recovered/);
});

test('a file found longer than expected, then a write that fails whole: the head let go with the lock names whole lines only', async () => {
  const dir = makeTempDir('torn-reconciled');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  for (const n of [1, 2, 3]) await writer.append(auditRecord(n));
  const [name] = readdirSync(dir).filter((entry) => entry.endsWith('.jsonl'));
  const file = join(dir, name!);
  // Bytes with no newline from a process that ignores the lock; SIGHUP makes the writer look at the file again.
  appendFileSync(file, '{"torn":');
  writer.reopen();
  spaceReturns = fillDiskAfter(file);
  await assert.rejects(writer.append(auditRecord(4)));
  spaceReturns();
  const bytes = readFileSync(file);
  const offset = headOffset(dir);
  assert.equal(bytes[offset - 1], 0x0a, `the head's offset ${offset} ends a line (file of ${bytes.length} bytes)`);
  writer.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
});
