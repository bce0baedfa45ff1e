import assert from 'node:assert/strict';
import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FsyncMode } from '../../../src/audit/trail/trail-writer-config.js';
import { straceVersion, traceNode } from '../../support/strace.js';
import { makeTempDir } from '../../support/trail-files.js';
import { callOn, WriterSyscalls } from '../../support/writer-syscalls.js';

// What AUDIT_FSYNC promises (trail-writer-config.ts, docs/trail-integrity.md#durability-audit_fsync), seen from
// outside the writer: a real writer process (fsync-writer-child.ts: record 1 on one day; a pause; records 2 and 3,
// across midnight, in one commit; a pause; records 4, 5, 6; close) runs under strace, and the assertions read the
// system calls it made, named by path (`-y`). A power cut cannot be simulated; a missing or misaimed fdatasync can be seen.
const child = fileURLToPath(new URL('../../support/fsync-writer-child.js', import.meta.url));
const SYSCALLS = ['openat', 'write', 'pwrite64', 'fdatasync', 'fsync', 'close'];
const INTERVAL_MS = 50;
/** Between the child's batches, longer than the interval: the batch timer, set first and due first, fires before it ends. */
const PAUSE_MS = 150;
const FIRST_DAY = '2026-12-06';

before(() => {
  // Fails, not skips: without strace these promises would go unchecked (CI installs it: .ci/run).
  straceVersion();
});

/** A temp dir removed after the test; the log directory is `<root>/logs`. */
function tempRoot(t: TestContext, mode: FsyncMode): string {
  const root = realpathSync(makeTempDir(`fsync-${mode}`));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return root;
}

/** The child's two files when its first day is `firstDay`. */
function trailFiles(firstDay: string): [string, string] {
  const next = new Date(Date.parse(`${firstDay}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
  return [`audit_${firstDay}.jsonl`, `audit_${next}.jsonl`];
}

/** Runs the child under strace with `<root>/logs` as its log directory and returns its calls there. */
async function traceWriter(root: string, mode: FsyncMode, firstDay = FIRST_DAY): Promise<WriterSyscalls> {
  // Not there at the first run: the writer creates it, so the entry in its parent must be made durable too.
  const logDir = join(root, 'logs');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUDIT_')));
  Object.assign(env, { AUDIT_FSYNC: mode, AUDIT_FSYNC_INTERVAL_MS: String(INTERVAL_MS) });
  const args = [logDir, String(PAUSE_MS), firstDay];
  const { stdout, calls } = await traceNode(join(root, `trace-${firstDay}`), SYSCALLS, child, args, env, 60_000);
  assert.match(stdout, /answered 6\nclosed\n$/);
  const [day1, day2] = trailFiles(firstDay).map((name) => join(logDir, name)) as [string, string];
  assert.deepEqual(
    [day1, day2].map((file) => readFileSync(file, 'utf8').split('\n').length - 1),
    [2, 4],
  );
  const trace = new WriterSyscalls(logDir, calls);
  const files = trace.trailWrites.map((write) => trace.calls[write]!.path);
  assert.deepEqual(files, [day1, day1, day2, day2, day2, day2], 'one write(2) per record');
  return trace;
}

/** Checks that the k-th fsync of `directory` comes after the k-th of `events` and before `deadline(event)`. */
function assertDirectorySyncs(trace: WriterSyscalls, directory: string, events: number[], deadline: (event: number) => number, what: string): void {
  const syncs = trace.indices(callOn('fsync', directory));
  const all = trace.describe(0, trace.calls.length);
  assert.equal(syncs.length, events.length, `${directory} fsynced once per ${what}, not per write:\n${all}`);
  events.forEach((event, k) => {
    assert.ok(
      syncs[k]! > event && syncs[k]! < deadline(event),
      `fsync of ${directory} #${k + 1} after ${what} at line ${trace.calls[event]!.line}:\n${all}`,
    );
  });
}

/** AUDIT_FSYNC=always, for a run that created the files `created` (names in the log directory), in that order. */
function assertAlways(trace: WriterSyscalls, created: string[]): void {
  for (const write of trace.trailWrites) {
    const file = trace.calls[write]!.path!;
    const next = trace.nextWriteOrAnswer(write);
    const window = `\n${trace.describe(write, next + 1)}`;
    const synced = trace.find(write, next, callOn('fdatasync', file));
    assert.notEqual(synced, -1, `fdatasync of ${file} after its write${window}`);
    const head = trace.find(write, next, callOn('pwrite64', trace.headPath));
    assert.notEqual(head, -1, `the head rewritten after the write${window}`);
    // A head on disk that names records the file on disk lacks would, after a power cut, read as records cut off the end.
    assert.ok(head > synced, `the head rewritten only once the records it names are on disk${window}`);
    assert.notEqual(trace.find(head, next, callOn('fdatasync', trace.headPath)), -1, `the head fdatasynced after its rewrite${window}`);
  }
  const creations = trace.created();
  assert.deepEqual(
    creations.map((call) => trace.calls[call]!.path),
    created.map((name) => join(trace.logDir, name)),
  );
  // Each new name durable before the callers of the first answer after it.
  assertDirectorySyncs(trace, trace.logDir, creations, (event) => trace.nextAnswer(event), 'file created');
}

test('AUDIT_FSYNC=always: each write and the head after it are fdatasynced before the next write and the answer; each new name once', async (t) => {
  const trace = await traceWriter(tempRoot(t, 'always'), 'always');
  const [day1, day2] = trailFiles(FIRST_DAY);
  assertAlways(trace, [day1, 'audit.head.json', day2]);
  assertDirectorySyncs(trace, dirname(trace.logDir), trace.created().slice(0, 1), (event) => trace.nextAnswer(event), 'directory created');
});

test('AUDIT_FSYNC=always, a head left by an earlier writer: written and fdatasynced, its name not fsynced again', async (t) => {
  const root = tempRoot(t, 'always');
  await traceWriter(root, 'always');
  const trace = await traceWriter(root, 'always', '2026-12-08');
  assertAlways(trace, trailFiles('2026-12-08'));
  assert.deepEqual(trace.indices(callOn('fsync', root)), [], 'the log directory existed already');
});

test('AUDIT_FSYNC=batch: fdatasync after the answer, within the interval, before the switch to the next day’s file and at close', async (t) => {
  const trace = await traceWriter(tempRoot(t, 'batch'), 'batch');
  const [day1, day2] = trailFiles(FIRST_DAY).map((name) => join(trace.logDir, name)) as [string, string];
  const all = `\n${trace.describe(0, trace.calls.length)}`;
  for (const answer of trace.answers) {
    const write = trace.trailWrites.filter((index) => index < answer).at(-1)!;
    const file = trace.calls[write]!.path!;
    assert.equal(
      trace.find(write, answer, callOn('fdatasync', file)),
      -1,
      `no fdatasync of ${file} before the answer at line ${trace.calls[answer]!.line}${all}`,
    );
  }
  // Each pause outlasts the interval: the timer has synced the file written before it by the next write.
  for (const [text, file] of [
    ['answered 1', day1],
    ['answered 2,3', day2],
  ] as const) {
    const answer = trace.answer(text);
    const nextWrite = trace.trailWrites.find((write) => write > answer)!;
    assert.notEqual(trace.find(answer, nextWrite, callOn('fdatasync', file)), -1, `fdatasync of ${file} in the pause after "${text}"${all}`);
  }
  // Records 2 and 3 in one commit: the old file's descriptor is synced before the new file is written.
  const lastToDay1 = trace.trailWrites.filter((write) => trace.calls[write]!.path === day1).at(-1)!;
  const firstToDay2 = trace.trailWrites.find((write) => trace.calls[write]!.path === day2)!;
  assert.notEqual(trace.find(lastToDay1, firstToDay2, callOn('fdatasync', day1)), -1, `fdatasync of ${day1} before the switch${all}`);
  // Record 6 answered, the writer closed at once: its file is synced before its descriptor is closed.
  const lastAnswer = trace.answers.at(-1)!;
  const closed = trace.find(lastAnswer, trace.calls.length, callOn('close', day2));
  assert.notEqual(closed, -1, `${day2} closed${all}`);
  assert.notEqual(trace.find(lastAnswer, closed, callOn('fdatasync', day2)), -1, `fdatasync of ${day2} at close${all}`);
  // The first sync of each trail file makes its name durable too (the head is not synced in this mode).
  const firstSyncs = [day1, day2].map((file) => trace.indices(callOn('fdatasync', file))[0] ?? trace.calls.length);
  const nextWrite = (event: number) => trace.trailWrites.find((write) => write > event) ?? trace.calls.length;
  assertDirectorySyncs(trace, trace.logDir, firstSyncs, nextWrite, 'trail file’s first fdatasync');
  assertDirectorySyncs(trace, dirname(trace.logDir), firstSyncs.slice(0, 1), nextWrite, 'first fdatasync after the directory was created');
});

test('AUDIT_FSYNC=off: no fdatasync or fsync at all', async (t) => {
  const trace = await traceWriter(tempRoot(t, 'off'), 'off');
  const syncs = trace.all.filter((call) => call.name === 'fdatasync' || call.name === 'fsync');
  assert.deepEqual(
    syncs.map((call) => `${call.line}: ${call.name}(${call.path})`),
    [],
    'no sync in this mode, of any file',
  );
});

test('AUDIT_FSYNC=off: a record after an idle spell is answered after its one write(2), the head saved later, off its path', async (t) => {
  const trace = await traceWriter(tempRoot(t, 'off'), 'off');
  // Record 4 comes PAUSE_MS after the last commit, long after the writer went idle (20 ms) with the lock kept.
  const answered = trace.answer('answered 4');
  const write = trace.trailWrites[3]!;
  const window = `\n${trace.describe(write - 1, answered + 1)}`;
  assert.ok(write < answered, `record 4 written before its answer${window}`);
  assert.equal(
    trace.find(write, answered, (call) => call.path === trace.headPath),
    -1,
    `no head open or write between the record and its answer${window}`,
  );
  // Later: within 20 ms of the stretch's last commit (records 5 and 6 follow at once), or at close.
  assert.notEqual(trace.find(answered, trace.calls.length, callOn('pwrite64', trace.headPath)), -1, `the head saved after the answer${window}`);
});
