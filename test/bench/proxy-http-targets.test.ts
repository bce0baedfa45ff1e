import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addedEventDelay, eventDelayRound, type ProxyHttpResults, type ProxyHttpRow } from '../../bench/scenarios/proxy-http.js';
import { selectScenarios } from '../../bench/scenario-selection.js';
import { judgeProxyHttp } from '../../bench/targets.js';

// How section 8's figures become verdicts, on made-up rows (no timing is measured here).
function row(mode: 'json' | 'sse', inFlight: number, ratio: number): ProxyHttpRow {
  return {
    mode,
    inFlight,
    workload: 'lookup_inventory',
    directUs: 1000,
    proxyUs: 1000 * ratio,
    vsDirect: { min: ratio - 0.1, median: ratio },
    addedUs: { min: 0, median: 1000 * (ratio - 1) },
    directP99Ms: 2,
    proxyP99Ms: 2 * ratio,
    proxyCpuUsPerCall: 100,
    failures: 0,
  };
}

function results(ratios: { json: [number, number]; sse: [number, number] }, events: Array<[number, number]>): ProxyHttpResults {
  return {
    plan: {
      concurrency: [
        { inFlight: 1, calls: 10 },
        { inFlight: 64, calls: 64 },
      ],
      workloads: ['lookup_inventory'],
      rounds: events.length,
      warmupCalls: 1,
      events: { calls: 1, events: 3, holdMs: 5 },
    },
    rows: (['json', 'sse'] as const).flatMap((mode) => [row(mode, 1, ratios[mode][0]), row(mode, 64, ratios[mode][1])]),
    events: events.map(([direct, proxy]) => ({ directP99Ms: direct, proxyP99Ms: proxy, directP50Ms: direct / 2, proxyP50Ms: proxy / 2 })),
    proxyPeakRssBytes: { json: 1, sse: 1 },
    upstreamPeakRssBytes: 1,
  };
}

test('each mode is judged at 1.20× sequential and 1.10× at 64 in flight, on the median ratio', () => {
  const verdicts = judgeProxyHttp(results({ json: [1.2, 1.11], sse: [1.21, 1.1] }, [[1, 2]]));
  assert.deepEqual(
    verdicts.slice(0, 4).map((verdict) => verdict.verdict),
    ['met', 'missed', 'missed', 'met'],
  );
  assert.match(verdicts[0]!.target, /JSON answers.*sequential/);
  assert.match(verdicts[3]!.target, /SSE answers.*64 in flight/);
});

test('the event delay is judged on what the proxy adds to the p99, median over rounds', () => {
  // Added per round: 1, 6, 4 → median 4 ms: met, though one round added 6.
  const met = judgeProxyHttp(
    results({ json: [1, 1], sse: [1, 1] }, [
      [10, 11],
      [10, 16],
      [2, 6],
    ]),
  ).at(-1)!;
  assert.equal(met.verdict, 'met');
  assert.match(met.figure, /^\+4\.00 ms \(min 1\.00, max 6\.00\)/);
  const missed = judgeProxyHttp(
    results({ json: [1, 1], sse: [1, 1] }, [
      [1, 7],
      [1, 6.5],
    ]),
  ).at(-1)!;
  assert.equal(missed.verdict, 'missed');
});

test('without rows or event rounds the targets are not measured', () => {
  const empty: ProxyHttpResults = { ...results({ json: [1, 1], sse: [1, 1] }, []), rows: [] };
  assert.deepEqual(
    judgeProxyHttp(empty).map((verdict) => verdict.verdict),
    ['not measured', 'not measured', 'not measured', 'not measured', 'not measured'],
  );
});

test('one round of event delays gives its p50 and p99; the added delay is the p99 difference', () => {
  const direct = Array.from({ length: 100 }, (_, index) => index / 10); // 0.0 … 9.9 ms
  const proxy = direct.map((delay) => delay + 2);
  const round = eventDelayRound(direct, proxy);
  assert.equal(round.directP50Ms, 4.9);
  assert.equal(round.directP99Ms, 9.8);
  assert.equal(round.proxyP99Ms, 11.8);
  assert.deepEqual(addedEventDelay([round]), { min: 2, median: 2, max: 2 });
  assert.ok(Number.isNaN(eventDelayRound([], []).directP99Ms));
});

test('--only=proxy-http runs the HTTP proxy alone', () => {
  const selection = selectScenarios(['--only=proxy-http']);
  assert.deepEqual(selection.names, ['proxy-http']);
  assert.equal(selection.has('proxy'), false);
});
