import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { CrossProcessLock } from '../../../src/audit/trail/cross-process-lock.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';
import { startWriter } from '../../support/writer-process.js';

// The key trail-writer-child.js uses, so that in-process and child writers share trails.
const hasher = new ChainHasher('child-key');

function headSeq(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'audit.head.json'), 'utf8')) as { last: { seq: number } }).last.seq;
}

test('a writer alone keeps the lock through idle spells: calls spaced in time take it once, and the head is current after each', async () => {
  const dir = makeTempDir('lease-alone');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  for (let seq = 1; seq <= 5; seq++) {
    await writer.append(auditRecord(seq));
    await writerWentIdle(writer);
    assert.equal(headSeq(dir), seq, 'the head is brought up to date when the writer goes idle');
    assert.ok(readdirSync(dir).includes('audit.lock'), 'the lock is kept while idle');
  }
  assert.equal(writer.stats.locksTaken, 1, JSON.stringify(writer.stats));
  assert.equal(writer.stats.idleHolds, 5, JSON.stringify(writer.stats));
  writer.close();
  assert.ok(!readdirSync(dir).includes('audit.lock'), 'close lets it go');
  assert.deepEqual((await verifyTrail(dir, { hasher })).problems, []);
});

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a lone commit is followed by the idle spell in the same turn of the event loop, not by a timer 20 ms later', async () => {
  const dir = makeTempDir('lease-lone');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  await writer.append(auditRecord(1));
  await nextTurn();
  assert.equal(writer.stats.idleHolds, 1, 'idle once its turn is done');
  assert.equal(headSeq(dir), 1, 'the head saved as the writer goes idle');
  writer.close();
});

test('commits that follow each other are one busy stretch: the first alone goes idle at once, the rest do not', async () => {
  const dir = makeTempDir('lease-stretch');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  const started = Date.now();
  // Each awaited in the same run of promise jobs: no turn of the event loop in between.
  for (let seq = 1; seq <= 50; seq++) await writer.append(auditRecord(seq));
  assert.equal(writer.stats.idleHolds, 0, JSON.stringify(writer.stats));
  await writerWentIdle(writer);
  // Each in a turn of its own, well within 20 ms of the last: only the first, alone, is followed by an idle spell.
  const idleHolds = writer.stats.idleHolds;
  let last = 0;
  let stalls = 0; // a busy machine may hold this loop up past 20 ms: the timer goes idle, and the next commit is alone again
  for (let seq = 51; seq <= 70; seq++) {
    if (last > 0 && Date.now() - last >= 15) stalls++;
    last = Date.now();
    await writer.append(auditRecord(seq));
    await nextTurn();
  }
  const spells = writer.stats.idleHolds - idleHolds;
  assert.ok(spells >= 1 && spells <= 1 + 2 * stalls, `${spells} idle spells in one stretch (${stalls} stalls): ${JSON.stringify(writer.stats)}`);
  // Once per 20 ms of a busy stretch, and at each idle spell: not once per record.
  const bound = 4 + 2 * stalls + Math.ceil((Date.now() - started) / 20);
  assert.ok(writer.stats.headWrites <= bound, `head written ${writer.stats.headWrites} times for 70 records (at most ${bound})`);
  writer.close();
  assert.deepEqual((await verifyTrail(dir, { hasher })).problems, []);
});

test('an idle holder keeps its lock fresh past the stale time, and hands it over at once to a process that asks', async () => {
  const dir = makeTempDir('lease-handover');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, lockStaleMs: 2000 });
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  // Past the stale time: its timer refreshed the lock's mtime meanwhile, so no process may take it as stale.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const age = Date.now() - statSync(join(dir, 'audit.lock')).mtimeMs;
  assert.ok(age < 2000, `the lock's mtime is ${age} ms old, past the stale time`);

  // Another writer process asks for it (its note): the idle holder lets it go without waiting for it to go stale.
  const other = startWriter(dir, 'other', 50);
  assert.equal(await other.exited, 0);
  assert.match(other.output, /leases lost 0/);
  assert.ok(writer.stats.lockHandovers >= 1, JSON.stringify(writer.stats));

  // The first writer takes it back for its next record, which continues the other's chain.
  await writer.append(auditRecord(52));
  writer.close();
  assert.equal(writer.stats.leasesLost, 0);
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 52);
});

test('where the waiting note cannot be watched (not a file), the writer lets the lock go when idle instead of keeping it', async () => {
  const dir = makeTempDir('lease-unwatched');
  mkdirSync(join(dir, 'audit.lock.waiting'));
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  assert.equal(writer.stats.idleHolds, 0);
  assert.ok(!readdirSync(dir).includes('audit.lock'));
  await writer.append(auditRecord(2));
  writer.close();
  assert.equal(writer.stats.locksTaken, 2);
  assert.deepEqual((await verifyTrail(dir, { hasher })).problems, []);
});

test('a lock removed while its writer kept it idle (and taken by another) is not written under: the writer waits its turn', async () => {
  const dir = makeTempDir('lease-removed-lock');
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  // Someone "cleans up" the lock the idle writer holds, and another process takes it.
  rmSync(join(dir, 'audit.lock'), { recursive: true });
  const other = new CrossProcessLock(join(dir, 'audit.lock'), 10_000);
  assert.ok(other.tryAcquire());
  let written = false;
  const next = writer.append(auditRecord(2)).then(() => (written = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(written, false, 'the writer wrote while another process held the lock');
  assert.equal(writer.stats.leasesLost, 1);
  other.unlock();
  await next;
  writer.close();
  assert.deepEqual((await verifyTrail(dir, { hasher })).problems, []);
});

test("a writer that lost its idle lock and exits leaves the new holder's lock alone", async () => {
  const dir = makeTempDir('lease-lost-exit');
  const child = spawn(process.execPath, [fileURLToPath(new URL('../../support/lease-loss-child.js', import.meta.url)), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString(), 'idle\n');
  rmSync(join(dir, 'audit.lock'), { recursive: true });
  const other = new CrossProcessLock(join(dir, 'audit.lock'), 10_000);
  assert.ok(other.tryAcquire());
  child.stdin.write('go\n');
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0);
  // proper-lockfile's exit handler removes every lock it still lists: not this one, which the child had lost.
  assert.ok(other.stillOwned(), 'the exiting writer removed the lock another holder took');
  other.unlock();
});
