import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetName } from '../../bench/bench-target.js';
import { PROVE, VERIFY_SIGNED, type CliRow } from '../../bench/scenarios/cli-throughput.js';
import type { OverheadRow } from '../../bench/scenarios/overhead.js';
import { selectScenarios } from '../../bench/scenario-selection.js';
import { judgeSigning } from '../../bench/targets.js';

// How section 9's figures become verdicts, on made-up rows.
function row(variant: TargetName, workload: 'bench_echo' | 'lookup_inventory', inFlight: number, ratio: number): OverheadRow {
  return {
    transport: 'stdio',
    inFlight,
    workload,
    variant,
    pauseMs: 0,
    perCallUs: 500 * ratio,
    p99Ms: 2,
    vsBaseline: { min: ratio - 0.1, median: ratio },
    addedUs: { min: 0, median: 500 * (ratio - 1) },
    vsPrevious: undefined,
    cpuUsPerCall: 400,
    cpuVsBaseline: { min: 1, median: 1 },
    proxyCpuUsPerCall: Number.NaN,
    failures: 0,
    memory: { peakRssBytes: 2 ** 26 },
  };
}

function cliRow(command: string, roundSeconds: number[]): CliRow {
  return { command, seconds: roundSeconds[0]!, recordsPerSecond: 1, vsBaseline: { min: 1, median: 1 }, roundSeconds, trailCheckpoints: 100 };
}

test('signing is judged per call on signed over unsigned (≤ 1.03×), one target per workload and concurrency; the unsigned rows are the baseline', () => {
  const perCall = [
    row('audited', 'bench_echo', 1, 1),
    row('audited+signed', 'bench_echo', 1, 1.02),
    row('audited', 'bench_echo', 64, 1),
    row('audited+signed', 'bench_echo', 64, 1.04),
  ];
  const targets = judgeSigning(perCall, [], 1_000_000);
  assert.deepEqual(
    targets.map((target) => target.verdict),
    ['met', 'missed'],
  );
  assert.match(targets[0]!.target, /`bench_echo`, sequential/);
  assert.match(targets[1]!.target, /`bench_echo`, 64 in flight/);
  assert.match(targets[0]!.figure, /^1\.02× \(min 0\.92×\); \+10\.0 µs per call$/);
});

test('verify --public-key is judged on its time over chain-only verify round by round (≤ 1.5×), and only on a trail of 1,000,000 records', () => {
  // Per round: 1.4, 1.6, 1.45 → median 1.45 (the ratio of medians would be 14/10 = 1.4).
  const cli = [cliRow('mcp-audit verify', [10, 10, 10]), cliRow(VERIFY_SIGNED, [14, 16, 14.5]), cliRow(PROVE, [30, 30, 30])];
  const [met] = judgeSigning([], cli, 1_000_000);
  assert.equal(met!.verdict, 'met');
  assert.match(met!.figure, /^1\.45× \(min 1\.40×\)/);
  const [slow] = judgeSigning([], [cliRow('mcp-audit verify', [10]), cliRow(VERIFY_SIGNED, [16])], 1_000_000);
  assert.equal(slow!.verdict, 'missed');
  const [small] = judgeSigning([], cli, 50_000);
  assert.equal(small!.verdict, 'not measured');
});

test('--only=signing runs the signing scenario alone', () => {
  const selection = selectScenarios(['--only=signing']);
  assert.deepEqual(selection.names, ['signing']);
  assert.equal(selection.complete, false);
});
