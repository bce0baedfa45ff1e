import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const hasher = new ChainHasher('child-key');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the append's outcome, or 'still waiting' after `ms`: a writer stuck waiting on itself never settles. */
function settledWithin(append: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(resolve, ms, 'still waiting')));
  return Promise.race([append.then(() => 'written'), late]).finally(() => clearTimeout(timer));
}

// proper-lockfile sets a new lock's mtime to the next whole second + 5 ms, and its refresh timer keeps refreshing a
// lock whose mtime is still the one it set. A lock lost (removed) and retaken within the same second has that same
// mtime: the lost taking's timer, unless stopped, refreshes the new lock as its own, so that the new taking's timer
// finds it compromised; the writer then loses a lock nobody else touched, and waits for its own lock to go stale
// (the stale time, 10 s by default) before it writes again: every call's response held that long.
test('a lock removed while kept idle and retaken within the same second: the lost taking stops refreshing it, the writer is not stuck on itself', async (t) => {
  const dir = makeTempDir('lost-lock-refresh');
  // The default stale time: proper-lockfile refreshes every 2.5 s.
  const writer = new ChainedTrailWriter({ directory: dir, hasher, lockStaleMs: 10_000 });
  t.after(() => writer.close());
  // Take the lock early in a second, so that losing and retaking it can happen before the next one.
  while (Date.now() % 1000 > 200) await sleep(5);
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  rmSync(join(dir, 'audit.lock'), { recursive: true }); // a clean-up, or the log directory removed and made again
  await writer.append(auditRecord(2));
  assert.equal(writer.stats.leasesLost, 1, JSON.stringify(writer.stats));
  assert.equal(writer.stats.locksTaken, 2, JSON.stringify(writer.stats));

  // Past both takings' first refresh (2.5 s after each).
  await sleep(3500);
  assert.equal(await settledWithin(writer.append(auditRecord(3)), 4000), 'written', JSON.stringify(writer.stats));
  assert.equal(writer.stats.leasesLost, 1, `a lock nobody else touched is not lost: ${JSON.stringify(writer.stats)}`);
  writer.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 3);
});
