import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetName } from '../../bench/bench-target.js';
import type { OverheadRow } from '../../bench/scenarios/overhead.js';
import { judgePeers } from '../../bench/targets.js';

// How section 10's figures become verdicts, on made-up rows.
function row(variant: TargetName, inFlight: number, wallRatio: number, cpuUs: number): OverheadRow {
  return {
    transport: 'stdio',
    inFlight,
    workload: 'bench_echo',
    variant,
    pauseMs: 0,
    perCallUs: 300 * wallRatio,
    p99Ms: 1,
    vsBaseline: { min: wallRatio - 0.02, median: wallRatio },
    addedUs: { min: 0, median: 300 * (wallRatio - 1) },
    vsPrevious: undefined,
    cpuUsPerCall: cpuUs,
    cpuVsBaseline: { min: 1, median: cpuUs / 200 },
    proxyCpuUsPerCall: Number.NaN,
    failures: 0,
    memory: { peakRssBytes: undefined },
  };
}

const rows = (auditedWall: number, auditedCpu: number, inFlight = 1): OverheadRow[] => [
  row('unaudited', inFlight, 1, 200),
  row('audited', inFlight, auditedWall, auditedCpu),
  row('peer:pino', inFlight, 1.2, 260),
  row('peer:otel-span', inFlight, 1.3, 300),
  row('peer:seed-appendFile', inFlight, 1.5, 280),
];
const verdict = (judged: ReturnType<typeof judgePeers>, fragment: string): string | undefined =>
  judged.find((result) => result.target.includes(fragment))?.verdict;

test('ours is judged against each peer on server CPU per call, and on wall time against unaudited at one in flight', () => {
  const judged = judgePeers(rows(1.15, 250));
  assert.equal(judged.length, 4);
  assert.equal(verdict(judged, 'than peer:pino'), 'met');
  assert.equal(verdict(judged, 'than peer:otel-span'), 'met');
  assert.equal(verdict(judged, 'than peer:seed-appendFile'), 'met');
  assert.equal(verdict(judged, '≤ 1.15× the unaudited'), 'met');
  assert.match(judged.find((result) => result.target.includes('peer:pino'))!.figure, /^ours 250 µs vs 260 µs/);
});

test('a tie on CPU is not "less", and a wall ratio over 1.15 misses', () => {
  const judged = judgePeers(rows(1.16, 260));
  assert.equal(verdict(judged, 'than peer:pino'), 'missed');
  assert.equal(verdict(judged, 'than peer:otel-span'), 'met');
  assert.equal(verdict(judged, '≤ 1.15× the unaudited'), 'missed');
});

test('at 64 in flight only CPU is judged; CPU that could not be read says not measured', () => {
  const judged = judgePeers(rows(2, Number.NaN, 64));
  assert.equal(judged.length, 3);
  assert.ok(judged.every((result) => result.verdict === 'not measured' && result.target.includes('64 in flight')));
});
