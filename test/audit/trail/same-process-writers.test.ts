import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const hasher = new ChainHasher('child-key');

// Two trails of one process on one directory (startAuditTrail twice, say) flush synchronously at exit, one after the
// other. The first keeps the lock idle; its hand-over is driven by an fs.watch event, which cannot run while the second
// waits synchronously for the lock: the second then waited for the first's lock to go stale (10 s by default).
test('a synchronous flush does not wait for the stale time on a lock another writer of the same process keeps idle', async (t) => {
  const dir = makeTempDir('same-process-writers');
  const first = new ChainedTrailWriter({ directory: dir, hasher });
  const second = new ChainedTrailWriter({ directory: dir, hasher });
  t.after(() => {
    second.close();
    first.close();
  });
  await first.append(auditRecord(1));
  await writerWentIdle(first);

  let written: Error | undefined | 'pending' = 'pending';
  second.appendWithCallback(auditRecord(2), (error) => (written = error));
  const started = Date.now();
  second.flushSync(); // as the exit handler does
  const waited = Date.now() - started;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(written, undefined, 'the record is written');
  assert.ok(waited < 3000, `the flush waited ${waited} ms for the lock`);

  second.close();
  first.close();
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 2);
});
