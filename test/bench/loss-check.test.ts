import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { createBenchContext } from '../../bench/bench-context.js';
import { checkLoss, LOSS_CASES, PROXY_CASE, PROXY_LOSS_CASES } from '../../bench/scenarios/loss.js';

// The benchmark's loss check at a tiny size, so the harness cannot rot
// unnoticed between bench runs. Counts only: timings belong to `npm run bench`.
const bench = createBenchContext(true, () => {});
after(() => rmSync(bench.root, { recursive: true, force: true }));

const CALLS = 2_000;

for (const name of ['trail only', 'forwarding, receiver down']) {
  test(`loss check (${name}): ${CALLS} calls over stdio give ${CALLS} parseable, distinct records, one per call`, async () => {
    const lossCase = LOSS_CASES.find((candidate) => candidate.name === name);
    assert.ok(lossCase, `no loss case named ${name}`);
    const result = await checkLoss(lossCase, { calls: CALLS, inFlight: 200, transport: 'stdio' }, bench);
    assert.equal(result.failures, 0);
    assert.equal(result.lines, CALLS);
    assert.equal(result.parseable, CALLS);
    assert.equal(result.distinct, CALLS);
    assert.equal(result.callsRecordedOnce, CALLS);
    assert.ok(result.peakRssBytes === undefined || result.peakRssBytes > 0);
  });
}

test(`loss check through mcp-audit proxy: ${CALLS} calls give ${CALLS} parseable, distinct records, one per call`, async () => {
  const proxyCase = PROXY_LOSS_CASES.find((candidate) => candidate.name === PROXY_CASE)!;
  const result = await checkLoss(proxyCase, { calls: CALLS, inFlight: 500, transport: 'stdio' }, bench);
  assert.equal(result.failures, 0);
  assert.equal(result.lines, CALLS);
  assert.equal(result.parseable, CALLS);
  assert.equal(result.distinct, CALLS);
  assert.equal(result.callsRecordedOnce, CALLS);
  // Both processes measured: the proxy's own and the server's behind it.
  assert.ok(result.peakRssBytes === undefined || result.peakRssBytes > 0);
  assert.ok(result.serverBehindPeakRssBytes === undefined || result.serverBehindPeakRssBytes > 0);
});

test('the loss check notices a missing record', async () => {
  const result = await checkLoss(
    { name: 'unaudited (writes no trail)', variant: 'unaudited' },
    { calls: 50, inFlight: 10, transport: 'in-memory' },
    bench,
  );
  assert.equal(result.lines, 0);
  assert.equal(result.callsRecordedOnce, 0);
});
