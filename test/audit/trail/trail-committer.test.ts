// settle(): each caller's callback is called once, and one that throws neither stops the others nor is swallowed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settle, type PendingRecord } from '../../../src/audit/trail/trail-committer.js';
import { auditRecord } from '../../support/chained-trail.js';

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
  const broken = new Error('a caller\'s callback broke');
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
