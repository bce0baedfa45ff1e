import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, readdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { readTrailHead } from '../../../src/audit/trail/trail-head.js';
import type { TrailWriterConfig } from '../../../src/audit/trail/trail-writer-config.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { writerWentIdle } from '../../support/writer-idle.js';
import { fillDisk } from '../../support/full-disk.js';
import { waitFor } from '../../support/helpdesk-process.js';
import { makeTempDir } from '../../support/trail-files.js';
import { startWriter } from '../../support/writer-process.js';

// The key trail-writer-child.js uses, so that in-process and child writers share trails.
const hasher = new ChainHasher('child-key');

function writerFor(directory: string, config: Partial<TrailWriterConfig> = {}): ChainedTrailWriter {
  return new ChainedTrailWriter({ directory, hasher, lockStaleMs: 2000, ...config });
}

function headSeq(dir: string): number {
  const read = readTrailHead(join(dir, 'audit.head.json'), hasher);
  assert.equal(read.status, 'ok');
  return read.status === 'ok' ? read.head.last.seq : -1;
}

function trailRecords(dir: string): Array<Record<string, any>> {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as Record<string, any>),
    );
}

const AFTER_HEAD = /record\(s\) after the head/;

test('while one writer keeps the lock the head is rewritten now and then, not after every commit, and is current once the writer goes idle', async () => {
  const dir = makeTempDir('head');
  const writer = writerFor(dir);
  for (let i = 0; i < 1000; i++) await writer.append(auditRecord(i));
  // One head write per lock take and per 20 ms of holding: far fewer than the commits, unless each commit took 10 ms.
  assert.ok(writer.stats.headWrites < writer.stats.commits / 2, JSON.stringify(writer.stats));
  await writerWentIdle(writer);
  assert.equal(headSeq(dir), 1000);
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.ok(!report.notes.some((note) => AFTER_HEAD.test(note)), report.notes.join('\n'));
  writer.close();
});

/** A writer whose head lags behind its two records, its save having failed on a full disk; the writer idle, the disk still full. */
async function headSaveFailed(t: TestContext, name: string) {
  const dir = makeTempDir(name);
  let spaceReturns = (): void => {};
  t.after(() => spaceReturns()); // first: a failed assertion must not close the writer on a full disk
  const writer = writerFor(dir);
  t.after(() => writer.close());
  const stderr = t.mock.method(process.stderr, 'write', () => true);
  await writer.append(auditRecord(1)); // under a new lock: its commit saves the first head itself
  await writer.append(auditRecord(2)); // the head lags: the lease's timer saves it 20 ms later
  spaceReturns = fillDisk(0); // synchronous: the event loop, and that timer, wait for it
  await writerWentIdle(writer);
  assert.equal(headSeq(dir), 1);
  assert.ok(readdirSync(dir).includes('audit.lock'), 'the writer keeps the lock through its idle spell');
  const said = (pattern: RegExp) => stderr.mock.calls.filter((call) => pattern.test(String(call.arguments[0]))).length;
  return { dir, writer, said, spaceReturns: () => spaceReturns() };
}

/** The link planted as the head was never written through, and a recovery record before record 3 says it was moved aside. */
function impostorMovedBeforeThirdRecord(dir: string, victim: string): void {
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  const records = trailRecords(dir);
  assert.deepEqual(
    records.map((record) => record['action'] === 'recovery'),
    [false, false, true, false],
  );
  assert.equal(records[2]!['input_summary']['impostor_moved']['was'], 'a symbolic link');
}

test('a head write that fails (a full disk) is tried again while the writer idles, not left behind the records until the next one', async (t) => {
  const { dir, said, spaceReturns } = await headSaveFailed(t, 'head-retry');
  assert.equal(said(/could not update the head/), 1);
  const before = await verifyTrail(dir, { hasher });
  assert.match(before.notes.join('\n'), AFTER_HEAD);

  await new Promise((resolve) => setTimeout(resolve, 250)); // two idle polls fail too, and say nothing more
  assert.equal(said(/could not update the head/), 1);
  spaceReturns();
  await waitFor(() => headSeq(dir) === 2, 'the head to name seq 2');
  assert.equal(said(/head .* is up to date again/), 1);
  const after = await verifyTrail(dir, { hasher });
  assert.deepEqual(after.problems, []);
  assert.ok(!after.notes.some((note) => AFTER_HEAD.test(note)), after.notes.join('\n'));
});

test('a lagging head replaced while the writer idles is not taken as left: the next record is preceded by a recovery record', async (t) => {
  const victim = join(makeTempDir('head-retry-victim'), 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const { dir, writer, spaceReturns } = await headSaveFailed(t, 'head-retry-planted');
  const head = join(dir, 'audit.head.json');
  unlinkSync(head);
  symlinkSync(victim, head);
  spaceReturns();
  await new Promise((resolve) => setTimeout(resolve, 250)); // two idle polls: neither writes through the link nor adopts it
  assert.ok(lstatSync(head).isSymbolicLink());
  await writer.append(auditRecord(3));
  impostorMovedBeforeThirdRecord(dir, victim);
});

test('a head write cut short (a file size limit part-way through it) counts as failed and is tried again', async (t) => {
  const dir = makeTempDir('head-short-write');
  let spaceReturns = (): void => {};
  t.after(() => spaceReturns());
  const writer = writerFor(dir);
  t.after(() => writer.close());
  const stderr = t.mock.method(process.stderr, 'write', () => true);
  await writer.append(auditRecord(1));
  await writer.append(auditRecord(2));
  spaceReturns = fillDisk(100); // the head's 512 bytes are written at offset 0: 100 of them fit
  await writerWentIdle(writer);
  assert.ok(
    stderr.mock.calls.some((call) => /could not update the head .*short write of the head: 100 of 512 bytes/.test(String(call.arguments[0]))),
  );
  spaceReturns();
  await waitFor(() => {
    const read = readTrailHead(join(dir, 'audit.head.json'), hasher);
    return read.status === 'ok' && read.head.last.seq === 2;
  }, 'the head to be whole again and name seq 2');
});

test('a head replaced by a link during a busy stretch is not taken as left when the writer goes idle: the next record is preceded by a recovery record', async () => {
  const victim = join(makeTempDir('head-busy-planted-victim'), 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const dir = makeTempDir('head-busy-planted');
  const writer = writerFor(dir);
  const head = join(dir, 'audit.head.json');
  await writer.append(auditRecord(1));
  await writer.append(auditRecord(2)); // the head is open: its next save goes through the descriptor
  unlinkSync(head);
  symlinkSync(victim, head);
  await writerWentIdle(writer);
  await writer.append(auditRecord(3));
  writer.close();
  impostorMovedBeforeThirdRecord(dir, victim);
});

for (const [how, putBack] of [
  [
    'an older copy renamed over it, of the same size and mtime: told apart by its inode',
    (head: string, older: string) => {
      // Heads are padded to whole 512-byte blocks: the same size. touch -r copies the mtime to the nanosecond.
      execFileSync('touch', ['-r', head, older]);
      renameSync(older, head);
    },
  ],
  [
    'older bytes written into it, the same inode and size: told apart by its mtime',
    (head: string, older: string) => {
      writeFileSync(head, readFileSync(older));
    },
  ],
] as const) {
  test(`a head put back while the writer idles (${how}) is read again`, async (t) => {
    const dir = makeTempDir('head-put-back');
    const writer = writerFor(dir);
    t.after(() => writer.close());
    const head = join(dir, 'audit.head.json');
    await writer.append(auditRecord(1));
    await writerWentIdle(writer);
    const older = join(makeTempDir('head-put-back-copy'), 'older.json');
    copyFileSync(head, older);
    await writer.append(auditRecord(2));
    await writer.append(auditRecord(3));
    await writerWentIdle(writer);
    assert.equal(headSeq(dir), 3);
    putBack(head, older);
    await writer.append(auditRecord(4));
    const records = trailRecords(dir);
    assert.deepEqual(
      records.map((record) => record['action'] === 'recovery'),
      [false, false, false, true, false],
    );
    // Read again, the older head is behind the file: the records after it are taken over, and the recovery says so.
    assert.equal(records[3]!['input_summary']['adopted_records'], 2);
  });
}

test('a head damaged on disk (its seal no longer matches, under the same key) is rebuilt by the next writer, and a recovery record says so', async () => {
  const dir = makeTempDir('head-damaged');
  const first = writerFor(dir);
  await first.append(auditRecord(1));
  await first.append(auditRecord(2));
  first.close();
  const head = join(dir, 'audit.head.json');
  const text = readFileSync(head, 'utf8');
  const damaged = text.replace(/"updated_at":"\d{4}/, '"updated_at":"1999');
  assert.notEqual(damaged, text);
  writeFileSync(head, damaged);
  const next = writerFor(dir);
  await next.append(auditRecord(3));
  next.close();
  const records = trailRecords(dir);
  assert.deepEqual(
    records.map((record) => record['action'] === 'recovery'),
    [false, false, true, false],
  );
  assert.match(String(records[2]!['input_summary']['head']), /head file unusable: head seal does not match/);
  assert.equal(headSeq(dir), 4);
});

test('a head missing beside an empty file of a later day (begun, never written) is rebuilt from the last record: the chain goes on, it does not restart at seq 1', async () => {
  const dir = makeTempDir('head-missing-empty-file');
  const first = writerFor(dir);
  await first.append(auditRecord(1, '2026-05-01T12:00:00.000Z'));
  await first.append(auditRecord(2, '2026-05-01T12:00:01.000Z'));
  first.close();
  writeFileSync(join(dir, 'audit_2026-05-02.jsonl'), '', { mode: 0o600 });
  unlinkSync(join(dir, 'audit.head.json'));
  const next = writerFor(dir);
  await next.append(auditRecord(3, '2026-05-02T12:00:00.000Z'));
  next.close();
  const records = trailRecords(dir);
  assert.deepEqual(
    records.map((record) => [record['action'], record['seq']]),
    [
      ['tool_call', 1],
      ['tool_call', 2],
      ['recovery', 3],
      ['tool_call', 4],
    ],
  );
  assert.match(String(records[2]!['input_summary']['head']), /^head file missing/);
});

test('with AUDIT_FSYNC=always the head is rewritten after every commit, before the record is acknowledged', async () => {
  const dir = makeTempDir('head');
  const writer = writerFor(dir, { fsync: 'always' });
  for (let seq = 1; seq <= 20; seq++) {
    await writer.append(auditRecord(seq));
    assert.equal(headSeq(dir), seq);
  }
  writer.close();
});

test('a writer SIGKILLed while its head lags: nothing is lost, verify notes the records after the head, the next writer takes them over', {
  timeout: 60_000,
}, async () => {
  const dir = makeTempDir('lagging-head');
  const first = writerFor(dir);
  await first.append(auditRecord(0));
  first.close();
  // The victim takes the lock (the head is current then), writes bursts of 50 records (one commit each) until one
  // leaves the head on disk behind them, and hangs holding the lock.
  const victim = startWriter(dir, 'victim', 50, 0, 'hang-lagging');
  await victim.hanging;
  const written = victim.acked;
  victim.process.kill('SIGKILL');
  await victim.exited;

  const lag = written + 1 - headSeq(dir);
  assert.ok(lag > 0, 'the head lags behind the acknowledged records');
  assert.equal(trailRecords(dir).length, written + 1);
  const before = await verifyTrail(dir, { hasher });
  assert.deepEqual(before.problems, []);
  assert.match(before.notes.join('\n'), new RegExp(`^${lag} record\\(s\\) after the head's seq ${written + 1 - lag}`, 'm'));

  const next = writerFor(dir); // waits out the dead victim's lock (stale after 2 s)
  await next.append(auditRecord(1));
  next.close();
  const records = trailRecords(dir);
  assert.deepEqual(
    records.filter((record) => String(record['request_id']).startsWith('victim-')).map((record) => record['request_id']),
    Array.from({ length: written }, (_, i) => `victim-${i}`),
  );
  const recovery = records.at(-2)!;
  assert.equal(recovery['action'], 'recovery');
  assert.equal(recovery['input_summary']['adopted_records'], lag);
  assert.equal(headSeq(dir), records.length);
  const after = await verifyTrail(dir, { hasher });
  assert.deepEqual(after.problems, []);
  assert.ok(!after.notes.some((note) => AFTER_HEAD.test(note)), after.notes.join('\n'));
});

test('a process that exits without closing its writer brings the head up to date in the exit handler and leaves no lock', {
  timeout: 60_000,
}, async () => {
  const dir = makeTempDir('exiting-writer');
  const writer = startWriter(dir, 'exiting', 120, 0, 'exit');
  assert.equal(await writer.exited, 0);
  assert.equal(headSeq(dir), 120);
  assert.ok(!readdirSync(dir).includes('audit.lock'));
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.ok(!report.notes.some((note) => AFTER_HEAD.test(note)), report.notes.join('\n'));
});

test('a write that reaches the file only in part: whole lines are acknowledged and noted in the head, the rest fail, the torn line is recovered', {
  timeout: 60_000,
}, async () => {
  const dir = makeTempDir('partial-write');
  const child = fileURLToPath(new URL('../../support/partial-write-child.js', import.meta.url));
  // A file size limit of 4 KiB (8 blocks of 512 bytes in sh's ulimit): the kernel writes up to it, then EFBIG.
  const run = spawnSync('/bin/sh', ['-c', `ulimit -f 8 && exec "${process.execPath}" "${child}" "${dir}" 20`], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 0, run.stderr);
  const outcomes = JSON.parse(run.stdout) as string[];
  const written = outcomes.filter((outcome) => outcome === 'written').length;
  assert.ok(written > 0 && written < 20, run.stdout);
  assert.deepEqual(outcomes.slice(0, written), Array(written).fill('written'));
  for (const outcome of outcomes.slice(written)) assert.match(outcome, /EFBIG/);
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  const text = readFileSync(join(dir, file!), 'utf8');
  assert.equal(text.split('\n').length - 1, written, 'whole lines in the file');
  assert.ok(!text.endsWith('\n'), 'the last line is torn');
  const head = readTrailHead(join(dir, 'audit.head.json'), hasher);
  assert.ok(head.status === 'ok' && head.head.last.seq === written && head.head.offset === text.lastIndexOf('\n') + 1, JSON.stringify(head));

  const next = writerFor(dir);
  await next.append(auditRecord(1));
  next.close();
  const records = readFileSync(join(dir, file!), 'utf8').split('\n').slice(0, -1);
  assert.deepEqual(
    records.slice(0, written).map((line) => (JSON.parse(line) as { request_id: string }).request_id),
    Array.from({ length: written }, (_, i) => `partial-${i}`),
  );
  assert.equal((JSON.parse(records[written + 1]!) as { action: string }).action, 'recovery');
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.match(report.notes.join('\n'), /torn line .* recovered/);
});
