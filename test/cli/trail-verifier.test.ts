import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { readTrailHead, TrailHeadFile, type TrailHead } from '../../src/audit/trail/trail-head.js';
import { verifyTrail, type VerifyReport } from '../../src/cli/trail-verifier.js';
import { auditRecord } from '../support/chained-trail.js';
import { makeTempDir } from '../support/trail-files.js';

// In process, unlike verify.test.ts (which runs the CLI): the verifier's findings one by one, fast enough for mutation runs.
const KEY = 'verifier-test-key';
const keyed = new ChainHasher(KEY);
const unkeyed = new ChainHasher(undefined);
const DAYS = ['2026-02-10', '2026-02-11', '2026-02-12'];
const file = (day: number) => `audit_${DAYS[day]}.jsonl`;
const HEAD = 'audit.head.json';

async function writeTrail(dir: string, hasher: ChainHasher, tag = 'q'): Promise<void> {
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  let n = 0;
  for (const day of DAYS) {
    await Promise.all(
      [0, 1, 2, 3].map((i) => writer.append(auditRecord(++n, `${day}T10:00:0${i}.000Z`, { input_summary: { query: `${tag}${n}` } }))),
    );
  }
  writer.close();
}

let keyedTrail: string;
let otherKeyedTrail: string;
let unkeyedTrail: string;
before(async () => {
  keyedTrail = makeTempDir('verifier-keyed');
  otherKeyedTrail = makeTempDir('verifier-other');
  unkeyedTrail = makeTempDir('verifier-unkeyed');
  await writeTrail(keyedTrail, keyed);
  await writeTrail(otherKeyedTrail, keyed, 'other');
  await writeTrail(unkeyedTrail, unkeyed);
});

function copyOf(trail: string): string {
  const dir = makeTempDir('verifier');
  cpSync(trail, dir, { recursive: true });
  return dir;
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const writeLines = (path: string, text: string[]) => writeFileSync(path, text.map((line) => `${line}\n`).join(''));
const found = (report: VerifyReport) => report.problems.map(({ kind, file: name, line, seq }) => ({ kind, file: name, line, seq }));

test('the pristine trails verify, keyed and unkeyed, with no notes', async () => {
  for (const [dir, hasher] of [
    [keyedTrail, keyed],
    [unkeyedTrail, unkeyed],
  ] as const) {
    const report = await verifyTrail(dir, { hasher });
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.notes, []);
    assert.equal(report.records, 12);
    assert.deepEqual(
      report.files.map((summary) => [summary.name, summary.records, summary.firstSeq, summary.lastSeq]),
      [
        [file(0), 4, 1, 4],
        [file(1), 4, 5, 8],
        [file(2), 4, 9, 12],
      ],
    );
  }
});

test('a validly keyed record swapped in from another trail is caught by its prev_hash, and so is the record after it', async () => {
  // Same key, same seq, a hash that matches its content: only the link to the record before it gives it away.
  const dir = copyOf(keyedTrail);
  const mine = lines(join(dir, file(1)));
  const theirs = lines(join(otherKeyedTrail, file(1)));
  writeLines(join(dir, file(1)), [mine[0]!, theirs[1]!, mine[2]!, mine[3]!]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [
    { kind: 'inserted', file: file(1), line: 2, seq: 6 },
    { kind: 'inserted', file: file(1), line: 3, seq: 7 },
  ]);
  assert.match(report.problems[0]!.message, new RegExp(`prev_hash does not match the hash of seq 5 \\(${file(1)}:1\\)`));
});

test('a head whose seal does not match is reported, and is not trusted to vouch for a shortened trail', async () => {
  // The forger cuts the last two records and points the head at the new last one, without the key to reseal it.
  const dir = copyOf(keyedTrail);
  const kept = lines(join(dir, file(2))).slice(0, 2);
  writeLines(join(dir, file(2)), kept);
  const head = JSON.parse(readFileSync(join(dir, HEAD), 'utf8')) as Record<string, any>;
  const last = JSON.parse(kept[1]!) as { seq: number; hash: string };
  head['last'] = { seq: last.seq, hash: last.hash };
  writeFileSync(join(dir, HEAD), JSON.stringify(head));
  assert.equal(readTrailHead(join(dir, HEAD), keyed).status, 'invalid');
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'head', file: null, line: null, seq: null }]);
  assert.match(report.problems[0]!.message, /head seal does not match its content \(edited\?\)/);
});

test('a head whose seq points at a record with another hash: the unkeyed chain recomputed from an edit on is still caught by the head', async () => {
  // Without a key anyone can re-chain the trail after an edit (here with plain SHA-256, as the definition says); the head's hash cannot follow.
  const dir = copyOf(unkeyedTrail);
  let previous = '';
  writeLines(
    join(dir, file(2)),
    lines(join(dir, file(2))).map((line, i) => {
      const { hash: _hash, ...record } = JSON.parse(line) as Record<string, unknown>;
      if (i === 2) record['input_summary'] = { query: 'rewritten' };
      if (i >= 2) record['prev_hash'] = previous;
      const body = JSON.stringify(record);
      const hash = createHash('sha256').update(`mcp-audit/record/v1\n${body}`).digest('hex');
      previous = hash;
      return `${body.slice(0, -1)},"hash":"${hash}"}`;
    }),
  );
  const report = await verifyTrail(dir, { hasher: unkeyed });
  assert.deepEqual(found(report), [{ kind: 'head', file: file(2), line: null, seq: 12 }]);
  assert.match(report.problems[0]!.message, /seq 12 does not have the hash the head recorded: the trail was rewritten/);
});

test('a missing first file is reported at the first record kept, as missing before the oldest file', async () => {
  const dir = copyOf(keyedTrail);
  rmSync(join(dir, file(0)));
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'missing-file', file: file(1), line: 1, seq: 5 }]);
  assert.match(report.problems[0]!.message, /^seq 1\.\.4 missing before the oldest file/);
});

test('a missing record in the middle of a file is deleted, a single one named by its seq', async () => {
  const dir = copyOf(keyedTrail);
  writeLines(
    join(dir, file(1)),
    lines(join(dir, file(1))).filter((_, i) => i !== 2),
  );
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'deleted', file: file(1), line: 3, seq: 8 }]);
  assert.match(report.problems[0]!.message, new RegExp(`^seq 7 missing between ${file(1)}:2 and here: records deleted`));
});

test('a line that is not JSON is malformed, in the middle of a file and as its terminated last line (not torn)', async () => {
  const dir = copyOf(keyedTrail);
  const middle = lines(join(dir, file(0)));
  writeLines(join(dir, file(0)), [middle[0]!, middle[1]!.slice(0, 40), ...middle.slice(2)]);
  appendFileSync(join(dir, file(2)), 'not json at all\n');
  const report = await verifyTrail(dir, { hasher: keyed });
  // The edited line also leaves a hole in the chain where seq 2 was.
  assert.deepEqual(found(report), [
    { kind: 'deleted', file: file(0), line: 3, seq: 3 },
    { kind: 'malformed', file: file(0), line: 2, seq: null },
    { kind: 'malformed', file: file(2), line: 5, seq: null },
  ]);
  assert.match(report.problems[1]!.message, /not a JSON record: the line was edited/);
});

test('a seq seen twice is an insertion, not a reordering', async () => {
  const dir = copyOf(keyedTrail);
  const day = lines(join(dir, file(1)));
  writeLines(join(dir, file(1)), [...day.slice(0, 2), day[1]!, ...day.slice(2)]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'inserted', file: file(1), line: 3, seq: 6 }]);
  assert.match(report.problems[0]!.message, /seq 6 appears a second time/);
});

test('records moved to another file keep their order check across files: reordered, and the gap they left is not also a deletion', async () => {
  const dir = copyOf(keyedTrail);
  const first = lines(join(dir, file(0)));
  const second = lines(join(dir, file(1)));
  writeLines(join(dir, file(0)), first.slice(0, 3));
  writeLines(join(dir, file(1)), [second[0]!, first[3]!, ...second.slice(1)]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'reordered', file: file(1), line: 2, seq: 4 }]);
  assert.match(report.problems[0]!.message, new RegExp(`seq 4 comes after seq 5 \\(${file(1)}:1\\): records reordered`));
});

test('the wrong key is one wrong-key finding, whether the head says so or only the records do', async () => {
  const other = new ChainHasher('not-the-key');
  const withHead = await verifyTrail(keyedTrail, { hasher: other });
  assert.deepEqual(found(withHead), [
    { kind: 'wrong-key', file: null, line: null, seq: null },
    { kind: 'wrong-key', file: null, line: null, seq: null },
  ]);
  assert.match(withHead.problems[0]!.message, /head was sealed with key id [0-9a-f]{16}, not [0-9a-f]{16}/);
  assert.match(withHead.problems[1]!.message, new RegExp(`the key given \\(key id ${other.keyId}\\)`));
  const noHead = await verifyTrail(keyedTrail, { hasher: unkeyed, headPath: null });
  assert.deepEqual(found(noHead), [{ kind: 'wrong-key', file: null, line: null, seq: null }]);
  assert.match(noHead.problems[0]!.message, /no key \(AUDIT_HMAC_KEY unset\)/);
  assert.deepEqual(noHead.notes, ['head not checked (--no-head): records cut off the end would not be detected']);
});

test('one edited record among good ones is modified, not wrong-key', async () => {
  const dir = copyOf(keyedTrail);
  writeLines(
    join(dir, file(2)),
    lines(join(dir, file(2))).map((line, i) => (i === 0 ? line.replace('"q9"', '"q-edited"') : line)),
  );
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'modified', file: file(2), line: 1, seq: 9 }]);
});

test('records past a lagging head are a note, not a problem; records cut off the end are truncated, counted from the last one kept', async () => {
  const dir = makeTempDir('verifier-lagging'); // written here, not copied: the head names the files' inodes
  await writeTrail(dir, keyed);
  const writer = new ChainedTrailWriter({ directory: dir, hasher: keyed });
  const headBefore = readFileSync(join(dir, HEAD));
  await writer.append(auditRecord(13, `${DAYS[2]}T11:00:00.000Z`));
  await writer.append(auditRecord(14, `${DAYS[2]}T11:00:01.000Z`));
  writer.close();
  writeFileSync(join(dir, HEAD), headBefore); // as a crash between the writes and the head update leaves it
  const lagging = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(lagging.problems, []);
  assert.deepEqual(lagging.notes, [
    `2 record(s) after the head's seq 12: a writer is still writing, or stopped before its head caught up (not a problem: the records chain)`,
  ]);

  const cut = copyOf(keyedTrail);
  writeLines(join(cut, file(2)), lines(join(cut, file(2))).slice(0, 1));
  const truncated = await verifyTrail(cut, { hasher: keyed });
  assert.deepEqual(found(truncated), [{ kind: 'truncated', file: file(2), line: 2, seq: 10 }]);
  assert.equal(
    truncated.problems[0]!.message,
    `the trail ends at seq 9 (${file(2)}:1) but the head says seq 12 in ${file(2)}: seq 10..12 cut off the end`,
  );

  const emptied = copyOf(keyedTrail);
  for (const day of [0, 1, 2]) writeFileSync(join(emptied, file(day)), '');
  const nothing = await verifyTrail(emptied, { hasher: keyed });
  assert.deepEqual(found(nothing), [{ kind: 'truncated', file: file(2), line: 1, seq: 1 }]);
  assert.match(nothing.problems[0]!.message, /^the trail ends at seq 0 \(no record\)/);
});

test('a day without a file between two days is a note; the chain decides', async () => {
  const dir = makeTempDir('verifier-gap-day');
  const writer = new ChainedTrailWriter({ directory: dir, hasher: keyed });
  await writer.append(auditRecord(1, '2026-03-01T10:00:00.000Z'));
  await writer.append(auditRecord(2, '2026-03-02T10:00:00.000Z'));
  await writer.append(auditRecord(3, '2026-03-05T10:00:00.000Z'));
  writer.close();
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.notes, ['no file for 2026-03-03..2026-03-04 (2 days)']);
});

test('two files with days between them: those days are notes too', async () => {
  const dir = makeTempDir('verifier-gap-day-two-files');
  const writer = new ChainedTrailWriter({ directory: dir, hasher: keyed });
  await writer.append(auditRecord(1, '2026-03-01T10:00:00.000Z'));
  await writer.append(auditRecord(2, '2026-03-03T10:00:00.000Z'));
  writer.close();
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.notes, ['no file for 2026-03-02']);
});

test("a foreign line appended to a trail file is named by the next writer's recovery record, and verify still reports it as inserted", async () => {
  const dir = makeTempDir('verifier-foreign');
  const day = '2026-03-05';
  const writer = new ChainedTrailWriter({ directory: dir, hasher: keyed, now: () => new Date(`${day}T10:00:05.000Z`) });
  await writer.append(auditRecord(1, `${day}T10:00:01.000Z`));
  await writer.append(auditRecord(2, `${day}T10:00:02.000Z`));
  writer.close();
  const path = join(dir, `audit_${day}.jsonl`);
  appendFileSync(path, `${JSON.stringify(auditRecord(99, `${day}T10:00:03.000Z`))}\n`); // seed-style: no chain fields
  const next = new ChainedTrailWriter({ directory: dir, hasher: keyed, now: () => new Date(`${day}T10:00:05.000Z`) });
  await next.append(auditRecord(3, `${day}T10:00:04.000Z`));
  next.close();
  const written = lines(path).map((line) => JSON.parse(line) as Record<string, any>);
  assert.deepEqual(
    written.map((record) => [record['action'], record['seq'] ?? null]),
    [
      ['tool_call', 1],
      ['tool_call', 2],
      ['tool_call', null],
      ['recovery', 3],
      ['tool_call', 4],
    ],
  );
  assert.deepEqual(written[3]!['input_summary']['foreign_lines'], [{ file: `audit_${day}.jsonl`, line: 3 }]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'inserted', file: `audit_${day}.jsonl`, line: 3, seq: null }]);
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.startsWith('audit_')),
    [`audit_${day}.jsonl`],
  );
});

test('a last line that lost its newline is torn even if it parses, and a torn line the next writer recovered is only a note', async () => {
  const dir = copyOf(keyedTrail);
  const path = join(dir, file(2));
  writeFileSync(path, readFileSync(path, 'utf8').slice(0, -1));
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [
    { kind: 'torn', file: file(2), line: 4, seq: null },
    { kind: 'truncated', file: file(2), line: 4, seq: 12 },
  ]);
  assert.match(report.problems[0]!.message, /^torn last line: a write was interrupted \(not tampering\)/);

  const live = makeTempDir('verifier-torn');
  const day = '2026-03-06';
  const first = new ChainedTrailWriter({ directory: live, hasher: keyed, now: () => new Date(`${day}T10:00:05.000Z`) });
  await first.append(auditRecord(1, `${day}T10:00:01.000Z`));
  first.close();
  const name = `audit_${day}.jsonl`;
  appendFileSync(join(live, name), '{"timestamp":"2026-03-06T10:00:02'); // what a write cut short leaves
  const next = new ChainedTrailWriter({ directory: live, hasher: keyed, now: () => new Date(`${day}T10:00:05.000Z`) });
  await next.append(auditRecord(2, `${day}T10:00:03.000Z`));
  next.close();
  const recovered = await verifyTrail(live, { hasher: keyed });
  assert.deepEqual(recovered.problems, []);
  assert.deepEqual(recovered.notes, [`${name}:2: torn line from an interrupted write, recovered by the writer (not tampering)`]);
});

test('a head rebuilt by a writer is a head problem for good, at the recovery record; a missing head says it is missing', async () => {
  const dir = makeTempDir('verifier-rebuilt');
  await writeTrail(dir, keyed);
  rmSync(join(dir, HEAD));
  const missing = await verifyTrail(dir, { hasher: keyed });
  const at = () => new Date(`${DAYS[2]}T11:00:00.000Z`);
  assert.deepEqual(found(missing), [{ kind: 'head', file: null, line: null, seq: null }]);
  assert.equal(missing.problems[0]!.message, `head file ${join(dir, HEAD)} is missing: records cut off the end cannot be ruled out`);
  const writer = new ChainedTrailWriter({ directory: dir, hasher: keyed, now: at });
  await writer.append(auditRecord(13, `${DAYS[2]}T11:00:00.000Z`));
  writer.close();
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'head', file: file(2), line: 5, seq: 13 }]);
  assert.equal(
    report.problems[0]!.message,
    `a writer rebuilt the head here (head file missing; rebuilt from ${file(2)} line 4 (seq 12)): records cut off the end before this point cannot be ruled out`,
  );
});

test('a recovered torn line stays recovered once logrotate renamed and gzipped its file; a line put in at its old file name and line number is not taken for it', async () => {
  const live = makeTempDir('verifier-torn-rotated');
  const day = '2026-03-06';
  const name = `audit_${day}.jsonl`;
  const writerAt = () => new ChainedTrailWriter({ directory: live, hasher: keyed, now: () => new Date(`${day}T10:00:05.000Z`) });
  const first = writerAt();
  await first.append(auditRecord(1, `${day}T10:00:01.000Z`));
  first.close();
  appendFileSync(join(live, name), '{"timestamp":"2026-03-06T10:00:02'); // what a write cut short leaves
  const next = writerAt();
  await next.append(auditRecord(2, `${day}T10:00:03.000Z`));
  next.close();
  // logrotate: the file renamed, then compressed; the next writer starts a new file under the old name.
  writeFileSync(join(live, `${name}.1.gz`), gzipSync(readFileSync(join(live, name))));
  rmSync(join(live, name));
  const third = writerAt();
  await third.append(auditRecord(3, `${day}T10:00:04.000Z`));
  await third.append(auditRecord(4, `${day}T10:00:04.500Z`));
  third.close();
  const report = await verifyTrail(live, { hasher: keyed });
  assert.deepEqual(report.problems, []);
  assert.ok(
    report.notes.includes(`${name}.1.gz:2: torn line from an interrupted write, recovered by the writer (not tampering)`),
    report.notes.join('\n'),
  );

  const [recordThree, ...rest] = lines(join(live, name));
  writeLines(join(live, name), [recordThree!, 'not a record', ...rest]);
  const tampered = await verifyTrail(live, { hasher: keyed });
  assert.deepEqual(
    tampered.problems.map(({ kind, file: where, line }) => [kind, where, line]),
    [['malformed', name, 2]],
  );
});

test('a day file gzipped beside its plain self (retention or logrotate caught mid-way by a crash) counts once', async () => {
  const dir = copyOf(keyedTrail);
  writeFileSync(join(dir, `${file(0)}.gz`), gzipSync(readFileSync(join(dir, file(0)))));
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 12);
});

test('a file logrotate renames after verify listed the files and before it reads them is read under its new name, gzipped too', async () => {
  for (const rotate of [
    (dir: string) => renameSync(join(dir, file(1)), join(dir, `${file(1)}.1`)),
    (dir: string) => {
      writeFileSync(join(dir, `${file(1)}.1.gz`), gzipSync(readFileSync(join(dir, file(1)))));
      rmSync(join(dir, file(1)));
    },
  ]) {
    const dir = copyOf(keyedTrail);
    const verifying = verifyTrail(dir, { hasher: keyed }); // lists the files before its first await
    rotate(dir);
    const report = await verifying;
    assert.deepEqual(report.problems, []);
    assert.equal(report.records, 12);
    assert.match(report.notes.join('\n'), new RegExp(`${file(1)} was renamed to ${file(1)}\\.1(\\.gz)? while verify ran`));
  }
});

test('a line with a hash but without seq or prev_hash is inserted, not part of the chain', async () => {
  for (const drop of ['seq', 'prev_hash']) {
    const dir = copyOf(keyedTrail);
    writeLines(
      join(dir, file(0)),
      lines(join(dir, file(0))).map((line, i) => {
        if (i !== 1) return line;
        const { hash: _hash, [drop]: _dropped, ...rest } = JSON.parse(line) as Record<string, unknown>;
        // Hashed like a record, with the key: only the missing chain field gives it away.
        const body = JSON.stringify(rest);
        return `${body.slice(0, -1)},"hash":"${keyed.chain(rest, { seq: 0, hash: '0'.repeat(64) }).link.hash}"}`;
      }),
    );
    const report = await verifyTrail(dir, { hasher: keyed });
    assert.deepEqual(found(report)[0], { kind: 'inserted', file: file(0), line: 2, seq: null }, drop);
    assert.equal(report.problems[0]!.message, 'record without seq/prev_hash/hash: not written by the chained writer (inserted?)');
  }
});

test('a first record that does not continue from the start of the trail says so', async () => {
  const dir = copyOf(keyedTrail);
  writeLines(
    join(dir, file(0)),
    lines(join(dir, file(0))).map((line, i) => {
      if (i !== 0) return line;
      const { hash: _hash, seq: _seq, prev_hash: _prev, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return keyed.chain(rest, { seq: 0, hash: 'ab'.repeat(32) }).line.trimEnd();
    }),
  );
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [
    { kind: 'inserted', file: file(0), line: 1, seq: 1 },
    { kind: 'inserted', file: file(0), line: 2, seq: 2 },
  ]);
  assert.equal(report.problems[0]!.message, 'prev_hash does not match the hash of seq 0 (the start of the trail): record replaced or inserted');
});

test('a missing file in the middle is missing between the files around it; an edited record is modified with its message', async () => {
  const dir = copyOf(keyedTrail);
  rmSync(join(dir, file(1)));
  writeLines(
    join(dir, file(0)),
    lines(join(dir, file(0))).map((line, i) => (i === 0 ? line.replace('"q1"', '"q-edited"') : line)),
  );
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [
    { kind: 'modified', file: file(0), line: 1, seq: 1 },
    { kind: 'missing-file', file: file(2), line: 1, seq: 9 },
  ]);
  assert.equal(report.problems[0]!.message, "hash does not match the record's content: the record was edited");
  assert.equal(report.problems[1]!.message, `seq 5..8 missing between ${file(0)}:4 and here: a deleted file (missing day) or records`);
});

test('the last two records swapped are one reordering, with no deletion left over', async () => {
  const dir = copyOf(keyedTrail);
  const day = lines(join(dir, file(2)));
  writeLines(join(dir, file(2)), [day[0]!, day[1]!, day[3]!, day[2]!]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'reordered', file: file(2), line: 4, seq: 11 }]);
});

test('past a start anchor (the oldest files retired), a record from before it put back in front of the kept trail is reported', async () => {
  // As retention leaves it: the first day gone, the head's start anchor at its last record (seq 4).
  const dir = copyOf(keyedTrail);
  const retired = lines(join(dir, file(0)));
  rmSync(join(dir, file(0)));
  const head = readTrailHead(join(dir, HEAD), keyed) as { status: 'ok'; head: TrailHead };
  const anchor = JSON.parse(retired[3]!) as { seq: number; hash: string };
  const headFile = new TrailHeadFile(join(dir, HEAD));
  headFile.write({ ...head.head, start: { seq: anchor.seq, hash: anchor.hash } }, keyed, false);
  headFile.close();
  assert.deepEqual(found(await verifyTrail(dir, { hasher: keyed })), []);

  // The anchor's own record, validly keyed and chained, put back: it is not part of the kept trail.
  writeLines(join(dir, file(1)), [retired[3]!, ...lines(join(dir, file(1)))]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(found(report), [{ kind: 'reordered', file: file(1), line: 1, seq: 4 }]);
  assert.equal(report.problems[0]!.message, 'seq 4 comes after seq 4 (the start of the trail): records reordered');
});

test('planted in the directory: a link to a trail file outside is not followed, a FIFO is not waited on; each is an unreadable file', async () => {
  const dir = copyOf(keyedTrail);
  const outside = copyOf(keyedTrail);
  // Days before the trail's first: were either read, its records would break the chain (seq 1 again).
  symlinkSync(join(outside, file(0)), join(dir, 'audit_2026-02-08.jsonl'));
  execFileSync('mkfifo', [join(dir, 'audit_2026-02-09.jsonl')]);
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(
    found(report).map(({ kind, file: name }) => [kind, name]),
    [
      ['unreadable', 'audit_2026-02-08.jsonl'],
      ['unreadable', 'audit_2026-02-09.jsonl'],
    ],
  );
  assert.match(report.problems[0]!.message, /not a regular file|symbolic link|ELOOP/);
  assert.equal(report.records, 12, 'the trail itself is read whole');
});

test('a planted empty file dated 0000-01-01: one note for the stretch without files, no crash', async () => {
  const dir = copyOf(keyedTrail);
  writeFileSync(join(dir, 'audit_0000-01-01.jsonl'), '');
  const report = await verifyTrail(dir, { hasher: keyed });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.notes, ['no file for 0000-01-02..2026-02-09 (740021 days)']);
});

test('files retired while verify reads the trail: the report is of a second pass, clean, and says so', async () => {
  const dir = makeTempDir('verify-retired-meanwhile');
  let today = '2026-05-01';
  const now = () => new Date(`${today}T12:00:00.000Z`);
  const first = new ChainedTrailWriter({ directory: dir, hasher: keyed, now });
  for (const day of ['2026-05-01', '2026-05-02', '2026-05-03']) {
    today = day;
    await first.append(auditRecord(1, `${day}T12:00:00.000Z`));
  }
  first.close();
  today = '2026-05-04';
  const retiring = new ChainedTrailWriter({ directory: dir, hasher: keyed, retentionDays: 1, now });
  const verifying = verifyTrail(dir, { hasher: keyed });
  // The first pass has read the head and listed the files (before its first await): retention deletes and compresses now.
  retiring.appendWithCallback(auditRecord(2, `${today}T12:00:00.000Z`), () => {});
  retiring.flushSync();
  retiring.close();
  assert.ok(!readdirSync(dir).includes('audit_2026-05-01.jsonl'), 'retention ran while the first pass was under way');
  const report = await verifying;
  assert.deepEqual(report.problems, []);
  assert.match(report.notes.join('\n'), /the trail's files changed while verify read them \(logrotate, retention\): this report is of pass 2/);
});
