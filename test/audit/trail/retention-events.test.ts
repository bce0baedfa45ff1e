import assert from 'node:assert/strict';
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { readTrailHead, TrailHeadFile } from '../../../src/audit/trail/trail-head.js';
import { auditRecord } from '../../support/chained-trail.js';
import { runCli } from '../../support/cli.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';

const KEY = 'retention-key';
const hasher = new ChainHasher(KEY);

/** A writer keeping `days` days, on a clock the test moves; `write(day)` appends two records stamped that day. */
function trailKeeping(days: number) {
  const dir = makeTempDir('retention');
  let today = '2026-05-01';
  const writer = new ChainedTrailWriter({ directory: dir, hasher, retentionDays: days, now: () => new Date(`${today}T12:00:00.000Z`) });
  return {
    dir,
    writer,
    write: async (day: string) => {
      today = day;
      await writer.append(auditRecord(1, `${day}T12:00:00.000Z`));
      await writer.append(auditRecord(2, `${day}T12:00:01.000Z`));
    },
  };
}

function verify(dir: string, ...args: string[]) {
  return runCli(['verify', dir, ...args], { AUDIT_HMAC_KEY: KEY });
}

test('retention writes a retention record naming the files and seq ranges it retired and the hash the trail continues from; verify passes and lists them', async () => {
  const trail = trailKeeping(2);
  for (const day of ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05']) await trail.write(day);
  trail.writer.close();

  const json = JSON.parse(verify(trail.dir, '--json').stdout) as { ok: boolean; retired: unknown[]; records: number };
  assert.equal(json.ok, true, JSON.stringify(json));
  assert.deepEqual(json.retired, [
    { file: 'audit_2026-05-01.jsonl.gz', first_seq: 1, last_seq: 2, by: 'audit_2026-05-04.jsonl.gz:2' },
    { file: 'audit_2026-05-02.jsonl.gz', first_seq: 3, last_seq: 4, by: 'audit_2026-05-05.jsonl:2' },
  ]);
  // The record in today's file, written before the file was deleted, chained like any other.
  const [retention] = readTrail(trail.dir).filter((record) => record.action === 'retention');
  const head = readTrailHead(join(trail.dir, 'audit.head.json'), hasher);
  assert.ok(head.status === 'ok');
  assert.deepEqual(retention!.input_summary, {
    retired: [{ file: 'audit_2026-05-02.jsonl.gz', first_seq: 3, last_seq: 4 }],
    start_before: { seq: 2, hash: (retention!.input_summary['start_before'] as { hash: string }).hash },
    start: head.head.start,
  });
  assert.equal(head.head.start.seq, 4);
  const text = verify(trail.dir);
  assert.equal(text.status, 0, text.stdout);
  assert.match(text.stdout, /note: seq 1\.\.2 retired by retention at audit_2026-05-04\.jsonl\.gz:2 \(audit_2026-05-01\.jsonl\.gz\)/);
});

test('a day deleted inside the retention window is not hidden by the next retention runs: verify keeps failing', async () => {
  const trail = trailKeeping(2);
  for (const day of ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04']) await trail.write(day);
  // Kept by retention (2026-05-02 and 05-03 are inside the window on 05-04): deleted by someone else.
  unlinkSync(join(trail.dir, 'audit_2026-05-03.jsonl.gz'));
  for (const day of ['2026-05-05', '2026-05-06', '2026-05-07']) await trail.write(day);
  trail.writer.close();
  assert.ok(!readdirSync(trail.dir).some((name) => name.startsWith('audit_2026-05-02')), 'retention retired 05-02 meanwhile');

  const result = verify(trail.dir);
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /missing-file: seq 5\.\.9 missing before the oldest file/);
  assert.match(result.stdout, /retention retired seq 7\.\.9; not retired by retention: seq 5\.\.6/);
});

test('the oldest kept day deleted just before a retention run: the anchor does not move over it', async () => {
  const trail = trailKeeping(1);
  for (const day of ['2026-05-01', '2026-05-02']) await trail.write(day);
  unlinkSync(join(trail.dir, 'audit_2026-05-01.jsonl.gz'));
  await trail.write('2026-05-03');
  await trail.write('2026-05-04');
  trail.writer.close();
  const result = verify(trail.dir);
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /missing-file: seq 1\.\.4 missing before the oldest file/);
  assert.match(result.stdout, /not retired by retention: seq 1\.\.2/);
});

test("a crash after retention deleted its files but before the head's anchor moved leaves a gap the retention record explains: verify passes", async () => {
  const trail = trailKeeping(1);
  for (const day of ['2026-05-01', '2026-05-02', '2026-05-03']) await trail.write(day);
  trail.writer.close();
  const [retention] = readTrail(trail.dir).filter((record) => record.action === 'retention');
  const headPath = join(trail.dir, 'audit.head.json');
  const head = readTrailHead(headPath, hasher);
  assert.ok(head.status === 'ok' && head.head.start.seq === 2);
  // The head as it was before the anchor moved, sealed with the key as the writer would have left it.
  const file = new TrailHeadFile(headPath);
  file.write({ ...head.head, start: retention!.input_summary['start_before'] as { seq: number; hash: string } }, hasher, false);
  file.close();
  const result = verify(trail.dir);
  assert.equal(result.status, 0, result.stdout);
  assert.match(result.stdout, /note: seq 1\.\.2 retired by retention/);
});
