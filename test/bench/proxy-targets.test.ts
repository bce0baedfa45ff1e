import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetName } from '../../bench/bench-target.js';
import { EMBEDDED_CASE, PROXY_CASE, type LossResult } from '../../bench/scenarios/loss.js';
import type { OverheadRow } from '../../bench/scenarios/overhead.js';
import type { ProxyResults } from '../../bench/scenarios/proxy.js';
import { judgeProxy } from '../../bench/targets.js';

// How section 7's figures become verdicts, on made-up rows.
function row(variant: TargetName, inFlight: number, ratio: number, overPrevious?: number): OverheadRow {
  return {
    transport: 'stdio',
    inFlight,
    workload: 'lookup_inventory',
    variant,
    pauseMs: 0,
    perCallUs: 1000 * ratio,
    p99Ms: 2,
    vsBaseline: { min: ratio - 0.1, median: ratio },
    addedUs: { min: 0, median: 1000 * (ratio - 1) },
    vsPrevious: overPrevious === undefined ? undefined : { min: overPrevious - 0.1, median: overPrevious },
    cpuUsPerCall: 900,
    cpuVsBaseline: { min: 1, median: 1 },
    proxyCpuUsPerCall: Number.NaN,
    failures: 0,
    memory: { peakRssBytes: 100 * 2 ** 20 },
  };
}

function lossRun(name: string, repetition: number, peakMiB: number, lost = 0): LossResult {
  const calls = 10_000;
  return {
    name,
    repetition,
    writesTrail: true,
    transport: 'stdio',
    calls,
    inFlight: 10_000,
    failures: 0,
    elapsedMs: 2_000,
    p50Ms: 500,
    p99Ms: 900,
    peakRssBytes: peakMiB * 2 ** 20,
    receiverRequests: undefined,
    spansForwarded: undefined,
    lines: calls - lost,
    parseable: calls - lost,
    distinct: calls - lost,
    callsRecordedOnce: calls - lost,
  };
}

/** Proxy over direct 1.15× sequential and 1.12× at 64 in flight; over the embedded library 1.05× and 1.02×. */
function results(overrides: Partial<ProxyResults> = {}): ProxyResults {
  return {
    plan: {
      concurrency: [
        { inFlight: 1, calls: 10 },
        { inFlight: 64, calls: 64 },
      ],
      rounds: 3,
      warmupCalls: 1,
      spaced: { calls: 1, pauseMs: 50, rounds: 1, warmupCalls: 1 },
      loss: { calls: 10_000, inFlight: 10_000, repetitions: 2 },
    },
    overhead: [
      row('unaudited', 1, 1),
      row('audited', 1, 1.1, 1.1),
      row('proxy(unaudited)', 1, 1.15, 1.05),
      row('unaudited', 64, 1),
      row('audited', 64, 1.1, 1.1),
      row('proxy(unaudited)', 64, 1.12, 1.02),
    ],
    spaced: [],
    loss: [0, 1].flatMap((repetition) => [lossRun(EMBEDDED_CASE, repetition, 200), lossRun(PROXY_CASE, repetition, 120)]),
    ...overrides,
  };
}

const verdict = (all: ReturnType<typeof judgeProxy>, fragment: string): string | undefined =>
  all.find((result) => result.target.includes(fragment))?.verdict;

test('the proxy is judged on its own ratio to direct: 1.20× sequential, 1.10× at 64 in flight', () => {
  const judged = judgeProxy(results());
  assert.equal(verdict(judged, '1.2× the server spoken to directly, `lookup_inventory`, sequential'), 'met');
  assert.equal(verdict(judged, '1.1× the server spoken to directly, `lookup_inventory`, 64 in flight'), 'missed');
  assert.match(judged[0]!.figure, /^1\.15× \(min 1\.05×\); \+150 µs per call$/);
});

test('"the embedded library plus 10%" is the per-round proxy / embedded ratio, not a difference of medians', () => {
  const judged = judgeProxy(results());
  assert.equal(verdict(judged, 'embedded audited ≤ 1.1×), `lookup_inventory`, sequential'), 'met');
  const slower = results({
    overhead: results().overhead.map((r) => (r.variant === 'proxy(unaudited)' && r.inFlight === 1 ? row('proxy(unaudited)', 1, 1.15, 1.11) : r)),
  });
  assert.equal(verdict(judgeProxy(slower), 'embedded audited ≤ 1.1×), `lookup_inventory`, sequential'), 'missed');
});

test('a row that was not measured says so instead of passing', () => {
  const judged = judgeProxy(results({ overhead: [], loss: [] }));
  assert.equal(judged.length, 4);
  assert.ok(judged.every((result) => result.verdict === 'not measured'));
});

test('the loss target needs every repetition exact; memory is the proxy over the embedded server, repetition by repetition', () => {
  const exact = judgeProxy(results());
  assert.equal(verdict(exact, 'through the proxy → exactly'), 'met');
  assert.equal(verdict(exact, 'peak RSS bounded'), 'met');
  assert.match(exact.find((result) => result.target.includes('peak RSS'))!.figure, /^0\.60×; proxy 120\.0 MiB vs embedded 200\.0 MiB/);

  const lossy = judgeProxy(results({ loss: [lossRun(EMBEDDED_CASE, 0, 100), lossRun(PROXY_CASE, 0, 160, 3)] }));
  assert.equal(verdict(lossy, 'through the proxy → exactly'), 'missed');
  assert.match(lossy.find((result) => result.target.includes('→ exactly'))!.figure, /^0\/1 repetitions exact; repetition 1: 9997 lines/);
  assert.equal(verdict(lossy, 'peak RSS bounded'), 'missed');
});
