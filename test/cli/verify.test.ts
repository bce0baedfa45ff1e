import assert from 'node:assert/strict';
import { chownSync, cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../support/chained-trail.js';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/trail-files.js';

const KEY = 'verify-test-key';
const DAYS = ['2026-01-15', '2026-01-16', '2026-01-17'];
const file = (day: number) => `audit_${DAYS[day]}.jsonl`;
let pristine: string;

/** A keyed trail of three days, four records each: seq 1-4, 5-8, 9-12. */
before(async () => {
  pristine = makeTempDir('verify-pristine');
  const writer = new ChainedTrailWriter({ directory: pristine, hasher: new ChainHasher(KEY) });
  let n = 0;
  for (const day of DAYS) {
    await Promise.all([0, 1, 2, 3].map((i) => writer.append(auditRecord(++n, `${day}T10:00:0${i}.000Z`))));
  }
  writer.close();
});

function copyOfTrail(): string {
  const dir = makeTempDir('verify');
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

function editLines(path: string, edit: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
  writeFileSync(
    path,
    edit(lines)
      .map((line) => line + '\n')
      .join(''),
  );
}

function verify(dir: string, key: string | undefined = KEY) {
  return runCli(['verify', dir], { AUDIT_HMAC_KEY: key });
}

function assertProblem(result: ReturnType<typeof verify>, place: string) {
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.ok(result.stdout.includes(place), `expected "${place}" in:\n${result.stdout}`);
}

test('an intact trail verifies: exit 0, every file VALID', () => {
  const result = verify(copyOfTrail());
  assert.equal(result.status, 0, result.stdout);
  assert.match(result.stdout, /VALID {3}audit_2026-01-15\.jsonl \(4 records, seq 1-4\)/);
  assert.match(result.stdout, /OK: 12 records in 3 file\(s\), chain intact/);
});

test('an edited record is reported with file, line and seq', () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(1)), (lines) => lines.map((line, i) => (i === 1 ? line.replace('"q6"', '"q-edited"') : line)));
  assertProblem(verify(dir), `${file(1)}:2 seq 6: modified`);
});

test('a deleted record is reported where the chain breaks', () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(1)), (lines) => lines.filter((_, i) => i !== 1));
  const result = verify(dir);
  assertProblem(result, `${file(1)}:2 seq 7: deleted`);
  assert.match(result.stdout, /seq 6 missing/);
});

test('an inserted record is reported, whether seed-style or forged with chain fields', () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(1)), (lines) => {
    const forged = JSON.parse(lines[1]!) as Record<string, unknown>;
    forged['input_summary'] = { query: 'forged' };
    forged['hash'] = 'f'.repeat(64);
    return [lines[0]!, JSON.stringify(auditRecord(99)), ...lines.slice(1, 2), JSON.stringify(forged), ...lines.slice(2)];
  });
  const result = verify(dir);
  assertProblem(result, `${file(1)}:2: inserted`);
  assertProblem(result, `${file(1)}:4 seq 6:`);
});

test('reordered records are reported as reordered, not as deletions', () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(1)), (lines) => [lines[0]!, lines[2]!, lines[1]!, lines[3]!]);
  const result = verify(dir);
  assertProblem(result, `${file(1)}:3 seq 6: reordered`);
  assert.doesNotMatch(result.stdout, /deleted/);
});

test('records cut off the end are detected through the head', () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(2)), (lines) => lines.slice(0, 2));
  assertProblem(verify(dir), `${file(2)}:3 seq 11: truncated`);
});

test('a missing day (a deleted file) is reported at the first record after it', () => {
  const dir = copyOfTrail();
  rmSync(join(dir, file(1)));
  const result = verify(dir);
  assertProblem(result, `${file(2)}:1 seq 9: missing-file`);
  assert.match(result.stdout, /seq 5\.\.8 missing/);
  assert.match(result.stdout, /note: no file for 2026-01-16/);
});

test('the wrong key, or no key for a keyed trail, is reported as such rather than as edits', () => {
  for (const key of ['another-key', '']) {
    const result = verify(copyOfTrail(), key);
    assertProblem(result, 'wrong-key');
    assert.doesNotMatch(result.stdout, /modified/);
  }
});

test('an edit re-hashed by someone without the key is still caught', () => {
  const dir = copyOfTrail();
  const forger = new ChainHasher(undefined);
  editLines(join(dir, file(0)), (lines) =>
    lines.map((line, i) => {
      if (i !== 3) return line;
      const { hash: _hash, ...record } = JSON.parse(line.replace('"q4"', '"q-edited"')) as Record<string, unknown>;
      const { seq, prev_hash, ...rest } = record;
      return forger.chain(rest, { seq: (seq as number) - 1, hash: prev_hash as string }).line.trimEnd();
    }),
  );
  assertProblem(verify(dir), `${file(0)}:4 seq 4: modified`);
});

test('a deleted head file is reported: the end of the trail can no longer be vouched for', () => {
  const dir = copyOfTrail();
  rmSync(join(dir, 'audit.head.json'));
  assertProblem(verify(dir), 'head: head file');
  assert.equal(runCli(['verify', dir, '--no-head'], { AUDIT_HMAC_KEY: KEY }).status, 0);
});

test('cutting the end and deleting the head is still reported after a writer restarts and rebuilds the head', async () => {
  const dir = copyOfTrail();
  editLines(join(dir, file(2)), (lines) => lines.slice(0, 2));
  rmSync(join(dir, 'audit.head.json'));
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher(KEY), now: () => new Date(`${DAYS[2]}T11:00:00.000Z`) });
  await writer.append(auditRecord(13, `${DAYS[2]}T11:00:00.000Z`));
  writer.close();
  assertProblem(
    verify(dir),
    `${file(2)}:3 seq 11: head: a writer rebuilt the head here (head file missing; rebuilt from ${file(2)} line 2 (seq 10))`,
  );
});

test('gzipped files are verified like plain ones, tampering inside them included', () => {
  const dir = copyOfTrail();
  for (const day of [0, 1]) {
    writeFileSync(join(dir, `${file(day)}.gz`), gzipSync(readFileSync(join(dir, file(day)))));
    rmSync(join(dir, file(day)));
  }
  const intact = verify(dir);
  assert.equal(intact.status, 0, intact.stdout);
  assert.match(intact.stdout, /VALID {3}audit_2026-01-16\.jsonl\.gz \(4 records, seq 5-8\)/);

  const gz = join(dir, `${file(0)}.gz`);
  writeFileSync(gz, gzipSync(gunzipSync(readFileSync(gz)).toString('utf8').replace('"q2"', '"q-edited"')));
  assertProblem(verify(dir), `${file(0)}.gz:2 seq 2: modified`);
});

test('a torn last line is reported as torn, not as tampering', () => {
  const dir = copyOfTrail();
  writeFileSync(join(dir, file(2)), readFileSync(join(dir, file(2)), 'utf8') + '{"timestamp":"2026-01-17T10:00:09');
  const result = verify(dir);
  assertProblem(result, `${file(2)}:5: torn`);
  assert.doesNotMatch(result.stdout, /modified|inserted|malformed/);
});

test('--key-file gives the key (trailing newline ignored) in place of AUDIT_HMAC_KEY', () => {
  const keys = makeTempDir('verify-keys');
  writeFileSync(join(keys, 'right'), `${KEY}\n`);
  writeFileSync(join(keys, 'wrong'), 'another-key\n');
  const dir = copyOfTrail();
  const right = runCli(['verify', dir, '--key-file', join(keys, 'right')]);
  assert.equal(right.status, 0, right.stdout + right.stderr);
  assert.match(right.stdout, /OK: 12 records/);
  assertProblem(runCli(['verify', dir, '--key-file', join(keys, 'wrong')]), 'wrong-key');
  // The file wins over the variable.
  assertProblem(runCli(['verify', dir, '--key-file', join(keys, 'wrong')], { AUDIT_HMAC_KEY: KEY }), 'wrong-key');
  assert.equal(runCli(['verify', dir, '--key-file', join(keys, 'absent')], { AUDIT_HMAC_KEY: KEY }).status, 2);
});

test('--head reads a head kept elsewhere: the end check holds there, and the default place is then reported missing', () => {
  const dir = copyOfTrail();
  const elsewhere = join(makeTempDir('verify-head'), 'kept.head.json');
  renameSync(join(dir, 'audit.head.json'), elsewhere);
  const withHead = runCli(['verify', dir, '--head', elsewhere], { AUDIT_HMAC_KEY: KEY });
  assert.equal(withHead.status, 0, withHead.stdout + withHead.stderr);
  assertProblem(verify(dir), 'head: head file');
  editLines(join(dir, file(2)), (lines) => lines.slice(0, 3));
  assertProblem(runCli(['verify', dir, '--head', elsewhere], { AUDIT_HMAC_KEY: KEY }), `${file(2)}:4 seq 12: truncated`);
});

test('usage errors exit 2', () => {
  assert.equal(runCli(['verify', '--bogus']).status, 2);
  assert.equal(runCli(['no-such-command']).status, 2);
  assert.equal(runCli(['verify', join(makeTempDir('verify'), 'absent')]).status, 2);
});

test('--json gives the same verdict as one JSON object a script can read', () => {
  const intact = runCli(['verify', copyOfTrail(), '--json'], { AUDIT_HMAC_KEY: KEY });
  assert.equal(intact.status, 0, intact.stdout + intact.stderr);
  const good = JSON.parse(intact.stdout) as { ok: boolean; records: number; files: { name: string; records: number }[]; problems: unknown[] };
  assert.equal(good.ok, true);
  assert.equal(good.records, 12);
  assert.deepEqual(
    good.files.map((f) => [f.name, f.records]),
    [
      [file(0), 4],
      [file(1), 4],
      [file(2), 4],
    ],
  );
  assert.deepEqual(good.problems, []);

  const dir = copyOfTrail();
  editLines(join(dir, file(1)), (lines) => lines.map((line, i) => (i === 1 ? line.replace('"q6"', '"q-edited"') : line)));
  const edited = runCli(['verify', dir, '--json'], { AUDIT_HMAC_KEY: KEY });
  assert.equal(edited.status, 1, edited.stdout + edited.stderr);
  assert.equal(edited.stdout.trim().split('\n').length, 1, 'one line of JSON');
  const bad = JSON.parse(edited.stdout) as { ok: boolean; problems: { kind: string; file: string; line: number; seq: number }[] };
  assert.equal(bad.ok, false);
  assert.deepEqual(
    bad.problems.map(({ kind, file: name, line, seq }) => ({ kind, name, line, seq })),
    [{ kind: 'modified', name: file(1), line: 2, seq: 6 }],
  );
});

test("an auditor who is not the writer's user can verify the trail: reads do not check the owner, only writes do", {
  skip: process.getuid?.() !== 0 && 'needs root to give the files to another user',
}, () => {
  const dir = copyOfTrail();
  for (const name of readdirSync(dir)) chownSync(join(dir, name), 4321, 4321);
  chownSync(dir, 4321, 4321);
  const result = verify(dir);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /OK: 12 records in 3 file\(s\), chain intact/);
});
