// settle(): each caller's callback is called once, and one that throws neither stops the others nor is swallowed;
// the size cap's arithmetic at its exact boundary.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { settle, type PendingRecord } from '../../../src/audit/trail/trail-committer.js';
import { trailFileName } from '../../../src/audit/trail/trail-file-name.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';

const hasher = new ChainHasher('committer-key');

/** Runs `body`, then lets the next ticks run, and returns what was thrown uncaught meanwhile (kept from node:test). */
async function uncaughtDuring(body: () => void): Promise<unknown[]> {
  const thrown: unknown[] = [];
  process.setUncaughtExceptionCaptureCallback((error) => thrown.push(error));
  try {
    body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.setUncaughtExceptionCaptureCallback(null);
  }
  return thrown;
}

test('a record is settled once: a second settle does not call its callback again', async () => {
  const calls: Array<Error | undefined> = [];
  const entry: PendingRecord = { record: auditRecord(1), done: (error) => calls.push(error) };
  const failure = new Error('disk full');
  const thrown = await uncaughtDuring(() => {
    settle(entry, failure);
    settle(entry);
  });
  assert.deepEqual(calls, [failure]);
  assert.deepEqual(thrown, []);
  assert.equal(entry.done, null);
});

test('a callback that throws does not stop the rest of the batch, and its error is thrown uncaught on its own tick', async () => {
  const broken = new Error("a caller's callback broke");
  const settled: number[] = [];
  const batch: PendingRecord[] = [1, 2, 3].map((seq) => ({
    record: auditRecord(seq),
    done: () => {
      settled.push(seq);
      if (seq === 1) throw broken;
    },
  }));
  const thrown = await uncaughtDuring(() => {
    for (const entry of batch) settle(entry);
    assert.deepEqual(settled, [1, 2, 3], 'every callback was called before the error is rethrown');
  });
  assert.deepEqual(thrown, [broken]);
});

test('with a size cap a file is filled up to exactly the cap, and the next record starts the next part', async () => {
  const timestamp = new Date().toISOString();
  const records = [1, 2, 3].map((n) => auditRecord(n, timestamp));
  // The same three records chained without a cap give each line's length.
  const probe = makeTempDir('committer-probe');
  const uncapped = new ChainedTrailWriter({ directory: probe, hasher });
  for (const record of records) await uncapped.append(record);
  uncapped.close();
  const lengths = readFileSync(join(probe, readdirSync(probe).find((name) => name.endsWith('.jsonl'))!), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((line) => Buffer.byteLength(line) + 1);

  const dir = makeTempDir('committer-cap');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, maxFileBytes: lengths[0]! + lengths[1]! });
  for (const record of records) await writer.append(record); // one commit each
  writer.close();
  const day = timestamp.slice(0, 10);
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.jsonl')).length, 2);
  assert.equal(statSync(join(dir, trailFileName(day, 0))).size, lengths[0]! + lengths[1]!);
  assert.equal(statSync(join(dir, trailFileName(day, 1))).size, lengths[2]!);
});
