import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RECEIVER_UP_CASE, TRAIL_ONLY_CASE, type LossResult } from '../../bench/scenarios/loss.js';
import { judgeLoss, lossCasesByName, ratioPerRepetition } from '../../bench/targets.js';

// The aggregation of repeated loss runs into section 3's verdicts, on made-up runs.
const CALLS = 1_000;
const DOWN = 'forwarding, receiver down';

function run(name: string, repetition: number, p99Ms: number, peakRssBytes: number, lost = 0): LossResult {
  return {
    name,
    repetition,
    writesTrail: true,
    transport: 'stdio',
    calls: CALLS,
    inFlight: 100,
    failures: 0,
    elapsedMs: 1_000,
    p50Ms: p99Ms / 2,
    p99Ms,
    peakRssBytes,
    receiverRequests: undefined,
    spansForwarded: undefined,
    lines: CALLS - lost,
    parseable: CALLS - lost,
    distinct: CALLS - lost,
    callsRecordedOnce: CALLS - lost,
  };
}

/** Three repetitions; the receiver-down p99s are 2×, 0.5× and 1.1× the receiver-up run of the same repetition. */
function threeRepetitions(options: { lostInRepetition?: number } = {}): LossResult[] {
  const upP99 = [1000, 4000, 2000];
  const downP99 = [2000, 2000, 2200];
  return [0, 1, 2].flatMap((repetition) => [
    run(TRAIL_ONLY_CASE, repetition, 1500, 100 * 2 ** 20),
    run(RECEIVER_UP_CASE, repetition, upP99[repetition]!, 110 * 2 ** 20),
    run(DOWN, repetition, downP99[repetition]!, (repetition === 2 ? 200 : 120) * 2 ** 20, repetition === options.lostInRepetition ? 1 : 0),
  ]);
}

const verdictOf = (results: ReturnType<typeof judgeLoss>, prefix: string, name: string): string | undefined =>
  results.find((result) => result.target.startsWith(prefix) && result.target.endsWith(`(${name})`))?.verdict;

test('p99 is compared with the receiver-up run of the same repetition, and judged on the median ratio', () => {
  const ratio = ratioPerRepetition(threeRepetitions(), DOWN, RECEIVER_UP_CASE, (result) => result.p99Ms);
  // Per repetition: 2.0, 0.5, 1.1. Comparing medians of p99 instead would give 2000 / 2000 = 1.0.
  assert.deepEqual(ratio, { min: 0.5, median: 1.1, max: 2 });
  assert.equal(verdictOf(judgeLoss(threeRepetitions()), '3. p99', DOWN), 'met');
});

test('a p99 median ratio above 1.2 misses, however good the best repetition', () => {
  const loss = threeRepetitions().map((result) =>
    result.name === DOWN && result.repetition !== 1 ? { ...result, p99Ms: result.p99Ms * 2 } : result,
  );
  assert.deepEqual(
    ratioPerRepetition(loss, DOWN, RECEIVER_UP_CASE, (result) => result.p99Ms),
    { min: 0.5, median: 2.2, max: 4 },
  );
  assert.equal(verdictOf(judgeLoss(loss), '3. p99', DOWN), 'missed');
});

test('peak RSS is compared with the trail-only run of the same repetition', () => {
  const ratio = ratioPerRepetition(threeRepetitions(), DOWN, TRAIL_ONLY_CASE, (result) => result.peakRssBytes);
  assert.deepEqual(ratio, { min: 1.2, median: 1.2, max: 2 });
  assert.equal(verdictOf(judgeLoss(threeRepetitions()), '3. peak RSS', DOWN), 'met');
});

test('a repetition without its reference run is left out of the ratio, not compared with another repetition', () => {
  const loss = threeRepetitions().filter((result) => !(result.name === RECEIVER_UP_CASE && result.repetition === 0));
  assert.deepEqual(
    ratioPerRepetition(loss, DOWN, RECEIVER_UP_CASE, (result) => result.p99Ms),
    { min: 0.5, median: 0.5, max: 1.1 },
  );
  assert.equal(
    ratioPerRepetition(loss, DOWN, 'no such case', (result) => result.p99Ms),
    undefined,
  );
});

test('the loss target is met only when every repetition of a case is exact', () => {
  const exact = judgeLoss(threeRepetitions());
  assert.equal(verdictOf(exact, '3. 1,000 calls', DOWN), 'met');
  assert.match(exact.find((result) => result.target.endsWith(`(${DOWN})`))!.figure, /^3\/3 repetitions exact/);

  const oneLost = judgeLoss(threeRepetitions({ lostInRepetition: 1 }));
  assert.equal(verdictOf(oneLost, '3. 1,000 calls', DOWN), 'missed');
  assert.match(oneLost.find((result) => result.target.endsWith(`(${DOWN})`))!.figure, /^2\/3 repetitions exact; repetition 2: 999 lines/);
  // The other cases lost nothing and stay met.
  assert.equal(verdictOf(oneLost, '3. 1,000 calls', TRAIL_ONLY_CASE), 'met');
});

test('the reference cases are not judged against themselves, and a case without a trail gets no loss verdict', () => {
  const loss = [...threeRepetitions(), { ...run('unaudited (reference: no trail)', 0, 900, 50 * 2 ** 20, CALLS), writesTrail: false }];
  const targets = judgeLoss(loss).map((result) => result.target);
  assert.ok(!targets.some((target) => target.includes('unaudited')));
  assert.ok(!targets.some((target) => target.startsWith('3. p99') && target.endsWith(`(${RECEIVER_UP_CASE})`)));
  assert.deepEqual(
    lossCasesByName(loss).map(({ name, runs }) => [name, runs.map((result) => result.repetition)]),
    [
      [TRAIL_ONLY_CASE, [0, 1, 2]],
      [RECEIVER_UP_CASE, [0, 1, 2]],
      [DOWN, [0, 1, 2]],
      ['unaudited (reference: no trail)', [0]],
    ],
  );
});
