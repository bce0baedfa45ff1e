// What the verifier accepts as an explanation of a gap, and what it does not: a `retention` record (only one the
// writer made and nobody edited), a writer's `recovery` record naming records it found gone; and the findings
// around them (a file it cannot read, a start anchor no retention record names). The trails are chained here
// line by line with the writer's own record builders, so each case is exactly the one described.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/audit/record/audit-record.js';
import { ChainHasher, GENESIS, type ChainLink } from '../../src/audit/trail/hash-chain.js';
import { retentionRecord } from '../../src/audit/trail/retention-record.js';
import { TrailHeadFile } from '../../src/audit/trail/trail-head.js';
import { recoveryRecord } from '../../src/audit/trail/writer-records.js';
import { verifyTrail, type VerifyReport } from '../../src/cli/trail-verifier.js';
import { auditRecord } from '../support/chained-trail.js';
import { makeTempDir } from '../support/trail-files.js';

const hasher = new ChainHasher('verifier-explanations-key');
const DAY0 = 'audit_2026-02-10.jsonl';
const DAY1 = 'audit_2026-02-11.jsonl';
const T = '2026-02-11T10:00:00.000Z';

/** Chains `records` from GENESIS: each one's line and link, in order (seq 1, 2, …). */
function chain(records: object[]): { line: string; link: ChainLink }[] {
  let link = GENESIS;
  return records.map((record) => {
    const chained = hasher.chain(record, link);
    link = chained.link;
    return chained;
  });
}

/** Chained lines end with their newline already. */
function writeFile(dir: string, name: string, lines: string[]): void {
  writeFileSync(join(dir, name), lines.join(''));
}

const found = (report: VerifyReport) => report.problems.map(({ kind, file, line, seq }) => ({ kind, file, line, seq }));
const noHead = { hasher, headPath: null } as const;

/** Day 0 (seq 1..4) retired, day 1 holding seq 5..8 and then `last`, which is seq 9. */
function trailAfterRetention(last: (retiredLinks: ChainLink[]) => AuditRecord): { dir: string; lines: string[] } {
  const tools = chain([1, 2, 3, 4, 5, 6, 7, 8].map((n) => auditRecord(n, T)));
  const links = tools.map((chained) => chained.link);
  const kept = [...tools.slice(4).map((chained) => chained.line), hasher.chain(last(links), links[7]!).line];
  const dir = makeTempDir('verifier-explanations');
  writeFile(dir, DAY1, kept);
  return { dir, lines: kept };
}

const retiredDay0 = (first: number, last: number) => (links: ChainLink[]) =>
  retentionRecord(T, 'svc', 1, {
    compress: [],
    retire: [{ file: DAY0, first_seq: first, last_seq: last }],
    start_before: GENESIS,
    start: links[last - 1]!,
  });

test('records retention retired, named by its record later in the trail, are no problem, and the notes say who retired them', async () => {
  const { dir } = trailAfterRetention(retiredDay0(1, 4));
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), []);
  assert.deepEqual(report.retired, [{ file: DAY0, first_seq: 1, last_seq: 4, by: `${DAY1}:5` }]);
  assert.ok(report.notes.includes(`seq 1..4 retired by retention at ${DAY1}:5 (${DAY0})`), report.notes.join('\n'));
});

test('a gap that retention explains only in part is still a problem, and says which part is not explained', async () => {
  const { dir } = trailAfterRetention(retiredDay0(1, 2));
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [{ kind: 'missing-file', file: DAY1, line: 1, seq: 5 }]);
  assert.equal(
    report.problems[0]!.message,
    'seq 1..4 missing before the oldest file: a deleted file (missing day) or records; retention retired seq 1..2; not retired by retention: seq 3..4 (deleted by something else)',
  );
});

test('a retention record edited to claim more explains nothing: the edit and the whole gap are reported', async () => {
  const { dir, lines } = trailAfterRetention(retiredDay0(1, 2));
  lines[4] = lines[4]!.replace('"last_seq":2', '"last_seq":4');
  writeFile(dir, DAY1, lines);
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [
    { kind: 'missing-file', file: DAY1, line: 1, seq: 5 },
    { kind: 'modified', file: DAY1, line: 5, seq: 9 },
  ]);
  assert.deepEqual(report.retired, []);
});

test("a tool call whose input looks like a retention record (the caller's own words) explains nothing", async () => {
  const mimic = (links: ChainLink[]) => auditRecord(9, T, { input_summary: retiredDay0(1, 4)(links).input_summary });
  const { dir } = trailAfterRetention(mimic);
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [{ kind: 'missing-file', file: DAY1, line: 1, seq: 5 }]);
  assert.deepEqual(report.retired, []);
});

test('a deletion a writer found when it next wrote is still a problem, and names each recovery record whose range meets the gap', async () => {
  const gone = (first_seq: number, last_seq: number) =>
    recoveryRecord(T, 'svc', { missing_records: { first_seq, last_seq, found_seq: first_seq - 1 } });
  // seq 4..5 deleted; the recovery records' ranges touch the gap at either end, or miss it by one.
  const all = chain([
    auditRecord(1, T),
    auditRecord(2, T),
    auditRecord(3, T),
    auditRecord(4, T),
    auditRecord(5, T),
    auditRecord(6, T),
    gone(1, 4),
    gone(5, 9),
    gone(6, 8),
    gone(1, 3),
  ]);
  const dir = makeTempDir('verifier-found-gone');
  writeFile(
    dir,
    DAY1,
    [...all.slice(0, 3), ...all.slice(5)].map((chained) => chained.line),
  );
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [{ kind: 'deleted', file: DAY1, line: 4, seq: 6 }]);
  assert.equal(
    report.problems[0]!.message,
    `seq 4..5 missing between ${DAY1}:3 and here: records deleted; a writer found seq 1..4 gone when it next wrote (recovery at ${DAY1}:5); a writer found seq 5..9 gone when it next wrote (recovery at ${DAY1}:6)`,
  );
});

test('a recovery record that says nothing (no input_summary) is read without error, as a record like any other', async () => {
  const bare = { ...recoveryRecord(T, 'svc', {}), input_summary: undefined };
  const dir = makeTempDir('verifier-bare-recovery');
  writeFile(
    dir,
    DAY1,
    chain([auditRecord(1, T), bare, auditRecord(2, T)]).map((chained) => chained.line),
  );
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), []);
  assert.equal(report.records, 3);
});

test('a file compressed with xz is reported unreadable, by name, and the rest of the trail is still checked', async () => {
  const all = chain([1, 2, 3, 4].map((n) => auditRecord(n, T)));
  const dir = makeTempDir('verifier-xz');
  writeFileSync(join(dir, `${DAY0}.xz`), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04]));
  writeFile(
    dir,
    DAY1,
    all.map((chained) => chained.line),
  );
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [{ kind: 'unreadable', file: `${DAY0}.xz`, line: null, seq: null }]);
  assert.equal(
    report.problems[0]!.message,
    "compressed with xz: only plain and gzip files can be read (logrotate's default compresscmd is gzip); its records cannot be checked",
  );
  assert.equal(report.records, 4);
});

test('a head whose start anchor no retention record names: the records before it are taken as retired, and the notes say so', async () => {
  const all = chain([1, 2, 3, 4, 5, 6].map((n) => auditRecord(n, T)));
  const dir = makeTempDir('verifier-unnamed-anchor');
  writeFile(
    dir,
    DAY1,
    all.slice(2).map((chained) => chained.line),
  );
  const head = new TrailHeadFile(join(dir, 'audit.head.json'));
  head.write(
    {
      version: 1,
      algorithm: hasher.algorithm,
      key_id: hasher.keyId,
      last: all[5]!.link,
      file: DAY1,
      offset: 0,
      lines: 4,
      ino: 0,
      start: all[1]!.link,
      updated_at: T,
    },
    hasher,
    false,
  );
  head.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(found(report), []);
  assert.deepEqual(report.notes, [
    'the trail starts after seq 2, and no retention record in it says so (a writer before retention records, or a rebuilt head): seq 1..2 are taken as retired',
  ]);
});

test('a tool call whose input looks like a recovery record excuses no line: an edited line stays malformed', async () => {
  const mimic = auditRecord(2, T, { input_summary: { torn_lines: [{ file: DAY1, line: 3, bytes: 9 }], head: 'head unusable' } });
  const all = chain([auditRecord(1, T), mimic, auditRecord(3, T)]);
  const dir = makeTempDir('verifier-mimic-recovery');
  writeFile(dir, DAY1, [all[0]!.line, all[1]!.line, 'not json\n', all[2]!.line]);
  const report = await verifyTrail(dir, noHead);
  assert.deepEqual(found(report), [{ kind: 'malformed', file: DAY1, line: 3, seq: null }]);
  assert.deepEqual(report.notes, ['head not checked (--no-head): records cut off the end would not be detected']);
});
