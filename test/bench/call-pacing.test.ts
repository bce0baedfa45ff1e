import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { createBenchContext } from '../../bench/bench-context.js';
import { openInMemoryTarget } from '../../bench/bench-target.js';
import { checkTrail } from '../../bench/trail-check.js';

// Spaced calls: the pause is left out of the per-call time, and the audit
// writer's cold path (lock let go between calls) still records every call.
const bench = createBenchContext(true, () => {});
after(() => rmSync(bench.root, { recursive: true, force: true }));

const CALLS = 6;
const PAUSE_MS = 20;

test("spaced calls: per-call time is the calls' own, and every call is recorded once", async () => {
  const dir = bench.scratchDir('pacing');
  const target = await openInMemoryTarget('audited', { logDir: dir, dataDir: dir });
  let summary;
  try {
    summary = await target.run('bench_echo', CALLS, 1, { pauseMs: PAUSE_MS });
  } finally {
    await target.close();
  }
  assert.equal(summary.failures, 0);
  // The batch holds the calls and the pauses between them (a timer may fire up to 1 ms early);
  // the per-call figure holds the calls alone, so the two add up to no more than the batch.
  const callsMs = (summary.perCallUs * CALLS) / 1000;
  assert.ok(callsMs + (CALLS - 1) * (PAUSE_MS - 1) <= summary.elapsedMs, `${callsMs} ms of calls + pauses > ${summary.elapsedMs} ms batch`);
  assert.equal(checkTrail(dir, CALLS).callsRecordedOnce, CALLS);
});
