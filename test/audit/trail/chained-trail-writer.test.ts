import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { CrossProcessLock } from '../../../src/audit/trail/cross-process-lock.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { readTrailHead } from '../../../src/audit/trail/trail-head.js';
import { trailWriterConfigFromEnv, type TrailWriterConfig } from '../../../src/audit/trail/trail-writer-config.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { fillDisk, FULL_DISK_ERROR } from '../../support/full-disk.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const hasher = new ChainHasher('writer-test-key');

function writerFor(directory: string, config: Partial<TrailWriterConfig> = {}): ChainedTrailWriter {
  return new ChainedTrailWriter({ directory, hasher, ...config });
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

function records(path: string): Array<Record<string, any>> {
  return lines(path).map((line) => JSON.parse(line) as Record<string, any>);
}

async function verified(dir: string) {
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, [], JSON.stringify(report, null, 1));
  return report;
}

test('records pending at once go out in one write, in order, chained, with seq/prev_hash/hash last', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  await Promise.all(Array.from({ length: 300 }, (_, i) => writer.append(auditRecord(i))));
  assert.equal(writer.stats.writes, 1);
  writer.close();
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  const written = records(join(dir, file!));
  assert.deepEqual(
    written.map((record) => record['request_id']),
    Array.from({ length: 300 }, (_, i) => String(i)),
  );
  assert.deepEqual(Object.keys(written[0]!).slice(-3), ['seq', 'prev_hash', 'hash']);
  assert.deepEqual(
    written.map((record) => record['seq']),
    Array.from({ length: 300 }, (_, i) => i + 1),
  );
  await verified(dir);
});

test("a record is written once the run of code that appended it is done, not a loop turn later; one appended by a record's own callback waits for the next turn", async () => {
  const dir = makeTempDir('writer-when');
  const writer = writerFor(dir);
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    setImmediate(() => order.push('next turn'));
    // Appended from two promise jobs of the same run: one commit, before the turn ends.
    void Promise.resolve().then(() => writer.appendWithCallback(auditRecord(1), () => order.push('1 written')));
    void Promise.resolve().then(() =>
      writer.appendWithCallback(auditRecord(2), () => {
        order.push('2 written');
        setImmediate(() => order.push('turn after'));
        // A callback that appends again would otherwise chain commits in microtasks and starve the event loop.
        writer.appendWithCallback(auditRecord(3), () => {
          order.push('3 written');
          resolve();
        });
      }),
    );
  });
  writer.close();
  assert.deepEqual(order, ['1 written', '2 written', 'next turn', 'turn after', '3 written']);
  assert.equal(writer.stats.writes, 2);
  await verified(dir);
});

test('the chain continues across writer instances and days; files 0600 in a 0700 directory', async () => {
  const dir = join(makeTempDir('writer'), 'logs');
  for (const day of ['2026-02-01', '2026-02-02']) {
    const writer = writerFor(dir);
    await writer.append(auditRecord(1, `${day}T08:00:00.000Z`));
    writer.close();
  }
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const name of readdirSync(dir)) assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600, name);
  // The lock directory exists only while a write holds it: take it as a writer would and look.
  const lock = new CrossProcessLock(join(dir, 'audit.lock'), 10_000);
  assert.ok(lock.tryAcquire());
  assert.equal(statSync(join(dir, 'audit.lock')).mode & 0o777, 0o700);
  lock.unlock();
  assert.equal(records(join(dir, 'audit_2026-02-02.jsonl'))[0]!['seq'], 2);
  await verified(dir);
});

test('a torn last line is closed off on restart, a recovery record names it, and verify calls it torn, not tampered', async () => {
  const dir = makeTempDir('writer');
  const first = writerFor(dir);
  await Promise.all([1, 2].map((n) => first.append(auditRecord(n))));
  first.close();
  const [name] = readdirSync(dir).filter((file) => file.endsWith('.jsonl'));
  const path = join(dir, name!);
  // What SIGKILL part-way through a write leaves: the start of a record, no newline.
  writeFileSync(path, readFileSync(path, 'utf8') + lines(path)[0]!.slice(0, 80));
  assert.deepEqual(
    (await verifyTrail(dir, { hasher })).problems.map((problem) => problem.kind),
    ['torn'],
  );

  const restarted = writerFor(dir);
  restarted.prepare();
  await restarted.append(auditRecord(3));
  restarted.close();
  const after = lines(path);
  assert.equal(after[2], lines(path)[0]!.slice(0, 80));
  const recovery = JSON.parse(after[3]!) as Record<string, any>;
  assert.equal(recovery['action'], 'recovery');
  assert.deepEqual(recovery['input_summary']['torn_lines'], [{ file: name, line: 3, bytes: 80, after_seq: 2 }]);
  assert.equal(JSON.parse(after[4]!)['request_id'], '3');
  const report = await verified(dir);
  assert.match(report.notes.join('\n'), new RegExp(`${name}:3: torn line .* recovered`));
});

test('records written by a writer that died before updating the head are taken over, not overwritten', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  await writer.append(auditRecord(1));
  const headAfterOne = readFileSync(join(dir, 'audit.head.json'));
  await writer.append(auditRecord(2));
  writer.close();
  writeFileSync(join(dir, 'audit.head.json'), headAfterOne); // as if killed between the write and the head update
  const next = writerFor(dir);
  await next.append(auditRecord(3));
  next.close();
  const [name] = readdirSync(dir).filter((file) => file.endsWith('.jsonl'));
  const written = records(join(dir, name!));
  assert.deepEqual(
    written.map((record) => [record['seq'], record['action']]),
    [
      [1, 'tool_call'],
      [2, 'tool_call'],
      [3, 'recovery'],
      [4, 'tool_call'],
    ],
  );
  assert.equal(written[2]!['input_summary']['adopted_records'], 1);
  await verified(dir);
});

test('a full disk fails the write, later records still go through, and an audit_gap record tells what happened before the lost records follow', async (t) => {
  const dir = makeTempDir('writer');
  const day = '2026-03-01';
  const spaceReturns = fillDisk(0);
  t.after(spaceReturns);
  const writer = writerFor(dir, { now: () => new Date(`${day}T09:00:05.000Z`) });
  const failed = await Promise.allSettled([1, 2].map((n) => writer.append(auditRecord(n, `${day}T09:00:0${n}.000Z`))));
  assert.deepEqual(
    failed.map((result) => result.status),
    ['rejected', 'rejected'],
  );
  assert.match(String((failed[0] as PromiseRejectedResult).reason), FULL_DISK_ERROR);
  spaceReturns();
  await writer.append(auditRecord(3, `${day}T09:00:03.000Z`));
  writer.close();
  const [gap, ...rest] = records(join(dir, `audit_${day}.jsonl`));
  assert.equal(gap!['action'], 'audit_gap');
  assert.equal(gap!['success'], false);
  assert.match(gap!['error'], FULL_DISK_ERROR);
  assert.deepEqual(gap!['input_summary'], {
    records_not_written: 2,
    first_timestamp: `${day}T09:00:01.000Z`,
    last_timestamp: `${day}T09:00:02.000Z`,
    succeeded: 2,
    written_late: 2,
    records_lost: 0,
  });
  // The two failed records themselves follow, marked late (see unwritten-backlog.test.ts), then the next one.
  assert.deepEqual(
    rest.map((record) => [record['request_id'], record['late']]),
    [
      ['1', true],
      ['2', true],
      ['3', undefined],
    ],
  );
  await verified(dir);
});

test('appendWithCallback calls back once, never synchronously: after the line is in the file, with the write error, or when closed', async (t) => {
  const day = '2026-03-02';
  const calls: Array<{ n: number; error: Error | undefined; linesThen: number }> = [];
  const appendNow = (writer: ChainedTrailWriter, file: string, n: number) =>
    new Promise<void>((resolve) => {
      let returned = false;
      writer.appendWithCallback(auditRecord(n, `${day}T09:00:0${n}.000Z`), (...args: [Error?]) => {
        assert.ok(returned, 'called back synchronously');
        assert.ok(args.length <= 1);
        calls.push({ n, error: args[0], linesThen: n <= 2 ? lines(file).length : -1 });
        // A second call would resolve nothing, but would add a row to `calls`.
        resolve();
      });
      returned = true;
    });
  const dir = makeTempDir('writer');
  const file = join(dir, `audit_${day}.jsonl`);
  const writer = writerFor(dir, { now: () => new Date(`${day}T09:00:05.000Z`) });
  await Promise.all([appendNow(writer, file, 1), appendNow(writer, file, 2)]);

  const fullDir = makeTempDir('writer');
  const fullFile = join(fullDir, `audit_${day}.jsonl`);
  const spaceReturns = fillDisk(0);
  t.after(spaceReturns);
  const failing = writerFor(fullDir, { now: () => new Date(`${day}T09:00:05.000Z`) });
  await appendNow(failing, fullFile, 3);
  failing.close();
  await appendNow(failing, fullFile, 4);
  spaceReturns();
  writer.close();
  await new Promise((resolve) => setTimeout(resolve, 20));

  assert.deepEqual(calls.slice(0, 2), [
    { n: 1, error: undefined, linesThen: 2 },
    { n: 2, error: undefined, linesThen: 2 },
  ]);
  assert.match(String(calls[2]!.error), FULL_DISK_ERROR);
  assert.match(String(calls[3]!.error), /closed/);
  assert.equal(calls.length, 4);
  await verified(dir);
});

test('fsync modes: always syncs every write before it resolves, batch at most once per interval, off never', async () => {
  const counts: Record<string, number> = {};
  for (const fsync of ['off', 'always', 'batch'] as const) {
    const writer = writerFor(makeTempDir('writer'), { fsync, fsyncIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) await writer.append(auditRecord(i));
    counts[fsync] = writer.stats.syncs;
    writer.close();
    counts[`${fsync} after close`] = writer.stats.syncs;
  }
  assert.deepEqual(counts, { off: 0, 'off after close': 0, always: 5, 'always after close': 5, batch: 0, 'batch after close': 1 });
});

test('AUDIT_MAX_FILE_BYTES splits a day into numbered parts and the chain runs through them', async () => {
  const dir = makeTempDir('writer');
  // Three records (about 670 bytes each) per part.
  const writer = writerFor(dir, { maxFileBytes: 2100 });
  for (let n = 0; n < 12; n++) await writer.append(auditRecord(n, '2026-04-01T10:00:00.000Z'));
  writer.close();
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
  assert.deepEqual(names, ['audit_2026-04-01.1.jsonl', 'audit_2026-04-01.2.jsonl', 'audit_2026-04-01.3.jsonl', 'audit_2026-04-01.jsonl']);
  for (const name of names) assert.ok(statSync(join(dir, name)).size <= 2100, name);
  const report = await verified(dir);
  assert.equal(report.records, 12);
});

test("a file is never reopened for an earlier day: a record stamped before midnight that is written after it goes to the new day's file", async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  await writer.append(auditRecord(1, '2026-04-02T23:59:59.000Z'));
  await writer.append(auditRecord(2, '2026-04-03T00:00:00.100Z'));
  // Late: its call started before midnight. Its day's file exists, but the chain has moved on to the next one.
  await writer.append(auditRecord(3, '2026-04-02T23:59:59.999Z'));
  await writer.append(auditRecord(4, '2026-04-03T00:00:00.200Z'));
  writer.close();
  assert.deepEqual(
    records(join(dir, 'audit_2026-04-02.jsonl')).map((record) => record['request_id']),
    ['1'],
  );
  assert.deepEqual(
    records(join(dir, 'audit_2026-04-03.jsonl')).map((record) => [record['request_id'], record['seq']]),
    [
      ['2', 2],
      ['3', 3],
      ['4', 4],
    ],
  );
  await verified(dir);
});

test('a record larger than the size cap is still written, alone in its own part, and the next record starts another part', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir, { maxFileBytes: 1500 });
  const at = '2026-04-04T10:00:00.000Z';
  await writer.append(auditRecord(1, at));
  await writer.append(auditRecord(2, at, { input_summary: { query: 'x'.repeat(3000) } }));
  await writer.append(auditRecord(3, at));
  // In one batch too: the big one between two small ones.
  await Promise.all([4, 5, 6].map((n) => writer.append(auditRecord(n, at, n === 5 ? { input_summary: { query: 'y'.repeat(3000) } } : {}))));
  writer.close();
  const parts = readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort((a, b) => a.length - b.length || a.localeCompare(b));
  const ids = parts.map((name) => [name, records(join(dir, name)).map((record) => record['request_id'])]);
  assert.deepEqual(ids, [
    ['audit_2026-04-04.jsonl', ['1']],
    ['audit_2026-04-04.1.jsonl', ['2']],
    ['audit_2026-04-04.2.jsonl', ['3', '4']],
    ['audit_2026-04-04.3.jsonl', ['5']],
    ['audit_2026-04-04.4.jsonl', ['6']],
  ]);
  assert.ok(statSync(join(dir, 'audit_2026-04-04.1.jsonl')).size > 3000);
  const report = await verified(dir);
  assert.equal(report.records, 6);
});

test('fsync batch: an unsynced write is synced once its interval has passed, without waiting for close', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir, { fsync: 'batch', fsyncIntervalMs: 100 });
  await writer.append(auditRecord(1));
  await writer.append(auditRecord(2));
  assert.equal(writer.stats.syncs, 0, 'synced before its interval');
  // Bounded wait for the interval's timer (this asserts that it fires, not how fast).
  for (let i = 0; i < 400 && writer.stats.syncs === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(writer.stats.syncs, 1);
  // Nothing written since: close has nothing left to sync.
  writer.close();
  assert.equal(writer.stats.syncs, 1);
});

test('retention gzips past days and deletes old ones, never the current file, and the rest still verifies', async () => {
  const dir = makeTempDir('writer');
  let today = '2026-05-01';
  const writer = writerFor(dir, { retentionDays: 2, now: () => new Date(`${today}T12:00:00.000Z`) });
  for (const day of ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05']) {
    today = day;
    await writer.append(auditRecord(1, `${day}T12:00:00.000Z`));
    await writer.append(auditRecord(2, `${day}T12:00:01.000Z`));
  }
  writer.close();
  assert.deepEqual(
    readdirSync(dir)
      .filter((name) => name.startsWith('audit_'))
      .sort(),
    ['audit_2026-05-03.jsonl.gz', 'audit_2026-05-04.jsonl.gz', 'audit_2026-05-05.jsonl'],
  );
  const report = await verified(dir);
  assert.equal(report.records, 8); // six records and the retention records of the runs on 05-04 and 05-05
  assert.equal(report.files[0]!.firstSeq, 5);
  assert.deepEqual(
    report.retired.map((retired) => [retired.file, retired.first_seq, retired.last_seq]),
    [
      ['audit_2026-05-01.jsonl.gz', 1, 2],
      ['audit_2026-05-02.jsonl.gz', 3, 4],
    ],
  );
});

test('a file moved away (logrotate) is noticed on reopen (SIGHUP) and at the first commit after an idle spell: new records go to a new file, nothing is lost', async () => {
  const dir = makeTempDir('writer');
  const day = '2026-06-01';
  const writer = writerFor(dir, { now: () => new Date(`${day}T00:00:05.500Z`) });
  await writer.append(auditRecord(1, `${day}T00:00:01.000Z`));
  renameSync(join(dir, `audit_${day}.jsonl`), join(dir, 'rotated-1.jsonl'));
  writer.reopen(); // what SIGHUP does: the move is noticed at the next write, lock held or not
  await writer.append(auditRecord(2, `${day}T00:00:02.000Z`));
  await writerWentIdle(writer);
  renameSync(join(dir, `audit_${day}.jsonl`), join(dir, 'rotated-2.jsonl'));
  // No SIGHUP: noticed at the writer's first commit after it went idle.
  await writer.append(auditRecord(3, `${day}T00:00:03.000Z`));
  // Moved while the writer holds the lock: records committed before its next check of the file still go to
  // the moved file through the open descriptor (chained, nothing lost); then the writer continues at the path.
  renameSync(join(dir, `audit_${day}.jsonl`), join(dir, 'rotated-3.jsonl'));
  await writer.append(auditRecord(4, `${day}T00:00:04.000Z`));
  await writerWentIdle(writer);
  await writer.append(auditRecord(5, `${day}T00:00:05.000Z`));
  writer.close();
  assert.deepEqual(
    records(join(dir, 'rotated-1.jsonl')).map((record) => record['request_id']),
    ['1'],
  );
  assert.deepEqual(
    records(join(dir, 'rotated-2.jsonl')).map((record) => [record['action'], record['request_id']]),
    [
      ['recovery', null],
      ['tool_call', '2'],
    ],
  );
  const moved = records(join(dir, `audit_${day}.jsonl`));
  assert.equal(moved.at(-1)!['request_id'], '5');
  assert.equal(moved[0]!['action'], 'recovery');
  for (const recovery of [records(join(dir, 'rotated-2.jsonl'))[0]!, moved[0]!])
    assert.equal(recovery['input_summary']['moved_file']['file'], `audit_${day}.jsonl`);
  // Put back under trail names in the order they were written, the moved files complete the chain.
  for (const [i, name] of ['rotated-1.jsonl', 'rotated-2.jsonl', 'rotated-3.jsonl'].entries())
    renameSync(join(dir, name), join(dir, `audit_2026-05-2${i + 7}.jsonl`));
  const report = await verified(dir);
  assert.equal(report.records - 3, 5); // five records and three recovery records, whichever file record 4 went to
});

test('while the writer keeps the lock it does not stat the current file at every commit', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  for (let i = 0; i < 1000; i++) await writer.append(auditRecord(i));
  // One stat per 20 ms of holding (and per lock take or new file): far fewer than the commits, unless each took 10 ms.
  assert.ok(writer.stats.fileChecks < writer.stats.commits / 2, JSON.stringify(writer.stats));
  writer.close();
  await verified(dir);
});

test('the head stays open only while the writer is busy: a head deleted while the writer is idle is rebuilt by path and says so', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  await writer.append(auditRecord(1));
  await writer.append(auditRecord(2));
  await writerWentIdle(writer);
  unlinkSync(join(dir, 'audit.head.json'));
  await writer.append(auditRecord(3));
  // Saved once the writer is idle again (not on the caller's path): at the path, not in a descriptor to the deleted file.
  await writerWentIdle(writer);
  const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')) as { last: { seq: number } };
  writer.close();
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  const written = records(join(dir, file!));
  assert.deepEqual(
    written.map((record) => record['action']),
    ['tool_call', 'tool_call', 'recovery', 'tool_call'],
  );
  assert.match(written[2]!['input_summary']['head'], /^head file missing/);
  assert.equal(head.last.seq, 4);
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(
    report.problems.map((problem) => problem.kind),
    ['head'],
  );
});

test('through a busy stretch the writer keeps the lock while nobody waits, and hands it over once another process notes that it waits', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  let index = 0;
  // Well past the 20 ms check period, alone: no handover (before, the lock was let go every 20 ms regardless).
  const alone = Date.now() + 100;
  while (Date.now() < alone) await writer.append(auditRecord(index++));
  assert.equal(writer.stats.lockHandovers, 0);
  // Another process (played by a second lock on the same path) finds it busy and notes that it waits.
  const other = new CrossProcessLock(join(dir, 'audit.lock'), 10_000);
  await writer.append(auditRecord(index++));
  assert.equal(other.tryAcquire(), false);
  assert.ok(readdirSync(dir).includes('audit.lock.waiting'));
  // The waiter keeps trying, as a real one does (each failed try renews its note). On a loaded machine the
  // writer may also let go for another reason (a turn slower than its linger): the waiter then takes and
  // returns the lock, and the stretch goes on until a handover is what frees it.
  let taken = false;
  for (let round = 0; round < 100_000 && !taken; round++) {
    await writer.append(auditRecord(index++));
    taken = other.tryAcquire();
    if (taken && writer.stats.lockHandovers === 0) {
      other.unlock();
      taken = false;
    }
  }
  assert.equal(writer.stats.lockHandovers, 1);
  // Handed over: the waiter got it while the writer pauses, and finds the head current; the writer's next record waits its turn.
  assert.ok(taken);
  const head = readTrailHead(join(dir, 'audit.head.json'), hasher);
  assert.equal(head.status === 'ok' && head.head.last.seq, index);
  const next = writer.append(auditRecord(index++));
  await new Promise((resolve) => setTimeout(resolve, 10));
  other.unlock();
  await next;
  writer.close();
  const [file] = readdirSync(dir).filter((name) => name.endsWith('.jsonl'));
  assert.equal(records(join(dir, file!)).length, index);
  await verified(dir);
});

test('the writer keeps the lock between commits a few ms apart instead of retaking it for each', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  for (let i = 0; i < 40; i++) {
    await writer.append(auditRecord(i));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // Kept through up to 20 ms of idle: one take (a few if turns ran slow), not one per record as with a 2 ms linger.
  assert.ok(writer.stats.locksTaken < 20, JSON.stringify(writer.stats));
  writer.close();
  await verified(dir);
});

test('a writer given another key than the trail was sealed with refuses to write (fails closed)', async () => {
  const dir = makeTempDir('writer');
  const writer = writerFor(dir);
  await writer.append(auditRecord(1));
  writer.close();
  const wrong = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('another-key') });
  assert.throws(() => wrong.prepare(), /wrong key/);
  await assert.rejects(wrong.append(auditRecord(2)), /wrong key/);
  wrong.close();
});

test('settings come from AUDIT_* variables, and a bad value names its variable', () => {
  const config = trailWriterConfigFromEnv('logs', {
    AUDIT_FSYNC: 'batch',
    AUDIT_FSYNC_INTERVAL_MS: '250',
    AUDIT_MAX_FILE_BYTES: '1048576',
    AUDIT_RETENTION_DAYS: '30',
    AUDIT_LOCK_STALE_MS: '5000',
    AUDIT_HEAD_FILE: '/secure/audit.head.json',
    AUDIT_HMAC_KEY: 'k',
  });
  assert.deepEqual(
    { ...config, hasher: config.hasher?.algorithm },
    {
      directory: 'logs',
      hasher: 'hmac-sha256',
      fsync: 'batch',
      fsyncIntervalMs: 250,
      maxFileBytes: 1048576,
      retentionDays: 30,
      lockStaleMs: 5000,
      headPath: '/secure/audit.head.json',
    },
  );
  assert.throws(() => trailWriterConfigFromEnv('logs', { AUDIT_FSYNC: 'sometimes' }), /AUDIT_FSYNC must be off, batch or always/);
  assert.throws(() => trailWriterConfigFromEnv('logs', { AUDIT_RETENTION_DAYS: 'a week' }), /AUDIT_RETENTION_DAYS must be a whole number/);
});

test('a head rebuilt when the lock is taken is written by the first commit, not by the timer after it', async () => {
  const dir = makeTempDir('writer');
  const first = writerFor(dir);
  await first.append(auditRecord(1));
  first.close();
  // Lost, as after a crash before a writer's first save: the next writer rebuilds it from the files.
  unlinkSync(join(dir, 'audit.head.json'));
  const writer = writerFor(dir);
  await writer.append(auditRecord(2));
  // Read before any timer could run: killed now, this writer would leave the next one nothing to repair again.
  const head = JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')) as { last: { seq: number } };
  writer.close();
  assert.equal(head.last.seq, 3, 'record 1, the recovery record, record 2');
});
