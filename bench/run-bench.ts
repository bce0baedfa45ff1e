#!/usr/bin/env node
// `npm run bench` (full) or `npm run bench -- --quick`: every scenario in one
// run, on one machine, results written to BENCHMARKS.md. `--only=a,b` runs
// only the named scenarios (bench/scenario-selection.ts) and writes
// BENCHMARKS-partial.md instead (BENCHMARKS-quick.md when quick).
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createBenchContext, rotated } from './bench-context.js';
import type { Workload } from './call-load.js';
import { describeMachine } from './machine.js';
import { LoopbackOtlpReceiver } from './otlp-receiver.js';
import { CPU_SOURCE } from './process-cpu.js';
import { renderReport, type BenchResults } from './report.js';
import { CLI_COMMANDS, measureCliThroughput } from './scenarios/cli-throughput.js';
import { checkLoss, LOSS_CASES } from './scenarios/loss.js';
import { measureFloor, type FloorPlan } from './scenarios/floor.js';
import { measureOverhead, type OverheadPlan } from './scenarios/overhead.js';
import { measurePeers, type PeersPlan } from './scenarios/peers.js';
import { profileVariants } from './scenarios/profile.js';
import { measureProxy, type ProxyPlan } from './scenarios/proxy.js';
import { measureProxyHttp, type ProxyHttpPlan } from './scenarios/proxy-http.js';
import { measureSigning, type SigningPlan } from './scenarios/signing.js';
import { measureSinkThroughput } from './scenarios/sink-throughput.js';
import { measureStartup } from './scenarios/startup.js';
import { selectScenarios } from './scenario-selection.js';
import { createScenarioTimer, durationsText } from './scenario-timer.js';
import type { VariantName } from './server-variants.js';

const quick = process.argv.includes('--quick');
const scenarios = selectScenarios(process.argv);
// Only a full run of every scenario writes the committed figures.
const reportName = quick ? 'BENCHMARKS-quick.md' : scenarios.complete ? 'BENCHMARKS.md' : 'BENCHMARKS-partial.md';
const reportPath = fileURLToPath(new URL(`../../${reportName}`, import.meta.url));
const analysisPath = fileURLToPath(new URL('../../bench/ANALYSIS.md', import.meta.url));

interface BenchPlan {
  rounds: number;
  /** Many short rounds: on a shared machine, noise comes and goes within seconds, and short alternating batches share it. */
  overhead: { concurrency: OverheadPlan['concurrency']; workloads: Workload[]; warmupCalls: number; rounds: number };
  overheadAt10k: { calls: number; workloads: Workload[]; rounds: number; transports: OverheadPlan['transports'] };
  /** Sequential calls with a pause between them, as real traffic comes: the writer's cold path (no target). */
  spaced: { calls: number; pauseMs: number; rounds: number; warmupCalls: number };
  sinkRecords: number;
  /** Repetitions of the whole set of loss cases: one run's p99 at 10,000 in flight is mostly queueing noise. */
  loss: { calls: number; inFlight: number; repetitions: number };
  /** Calls per profile; fewer of the slow search, whose profile fills up fast. */
  profile: { calls: Record<Workload, number>; warmupCalls: number };
  startupRounds: number;
  /** Pause after a server's first answer before its idle RSS is read. */
  startupIdleSettleMs: number;
  startupIdleCpuMs: number;
  cliRecords: number;
  /** `mcp-audit proxy` against the server spoken to directly (issue 11). */
  proxy: ProxyPlan;
  /** `mcp-audit proxy --upstream URL` against the upstream spoken to directly over HTTP (issue 12). */
  proxyHttp: ProxyHttpPlan;
  /** Signed checkpoints (issue 13): AUDIT_SIGNING_KEY_FILE set vs unset per call over stdio, and a checkpoint's size. */
  signing: SigningPlan;
  /** Ours against the peers a user would pick instead, over stdio (issue 16). */
  peers: PeersPlan;
  /** The per-record floor in a tight loop, and the audited server's profile by module (issue 16). */
  floor: FloorPlan;
}

/**
 * Sizes. Quick keeps every scenario and every verdict row but shrinks each to
 * a smoke run of under two minutes on a quiet 2-core machine: its figures are
 * not quoted, so a round or two and a few hundred calls per batch do.
 */
const PLAN: BenchPlan = quick
  ? {
      rounds: 2,
      overhead: {
        concurrency: [
          { inFlight: 1, calls: 50 },
          { inFlight: 100, calls: 150 },
        ],
        workloads: ['lookup_inventory', 'bench_echo'],
        warmupCalls: 20,
        rounds: 2,
      },
      // Left out: at 10,000 in flight a batch is 10,000 calls whatever the size, per variant and transport; loss covers 1,000 in flight.
      overheadAt10k: { calls: 10_000, workloads: ['bench_echo'], rounds: 0, transports: [] },
      spaced: { calls: 4, pauseMs: 50, rounds: 1, warmupCalls: 20 },
      // Bursts go up to 10,000 records per turn, so the sink writes no fewer.
      sinkRecords: 10_000,
      loss: { calls: 1_000, inFlight: 1_000, repetitions: 1 },
      profile: { calls: { lookup_inventory: 50, bench_echo: 150 }, warmupCalls: 20 },
      startupRounds: 2,
      startupIdleSettleMs: 500,
      startupIdleCpuMs: 500,
      cliRecords: 10_000,
      proxy: {
        concurrency: [
          { inFlight: 1, calls: 50 },
          { inFlight: 64, calls: 150 },
        ],
        rounds: 2,
        warmupCalls: 20,
        spaced: { calls: 4, pauseMs: 50, rounds: 1, warmupCalls: 20 },
        loss: { calls: 1_000, inFlight: 1_000, repetitions: 1 },
      },
      // Only the targets' tool: over HTTP on a busy machine each call takes ~5 ms, and both tools would double the section.
      proxyHttp: {
        concurrency: [
          { inFlight: 1, calls: 30 },
          { inFlight: 64, calls: 100 },
        ],
        workloads: ['lookup_inventory'],
        rounds: 1,
        warmupCalls: 10,
        events: { calls: 10, events: 3, holdMs: 5 },
      },
      signing: {
        concurrency: [
          { inFlight: 1, calls: 50 },
          { inFlight: 64, calls: 150 },
        ],
        workloads: ['bench_echo', 'lookup_inventory'],
        rounds: 2,
        warmupCalls: 20,
        checkpointRecords: 2_000,
      },
      peers: {
        concurrency: [
          { inFlight: 1, calls: 50 },
          { inFlight: 64, calls: 150 },
        ],
        workloads: ['bench_echo', 'lookup_inventory'],
        rounds: 2,
        warmupCalls: 20,
      },
      floor: { records: 5_000, rounds: 2, profile: { calls: 200, warmupCalls: 20 } },
    }
  : {
      rounds: 5,
      overhead: {
        concurrency: [
          { inFlight: 1, calls: 300 },
          { inFlight: 100, calls: 1000 },
        ],
        workloads: ['lookup_inventory', 'bench_echo'],
        warmupCalls: 500,
        rounds: 15,
      },
      overheadAt10k: { calls: 10_000, workloads: ['lookup_inventory', 'bench_echo'], rounds: 5, transports: ['in-memory', 'stdio'] },
      spaced: { calls: 40, pauseMs: 50, rounds: 5, warmupCalls: 200 },
      sinkRecords: 100_000,
      loss: { calls: 100_000, inFlight: 10_000, repetitions: 3 },
      profile: { calls: { lookup_inventory: 3_000, bench_echo: 5_000 }, warmupCalls: 500 },
      startupRounds: 10,
      startupIdleSettleMs: 1000,
      startupIdleCpuMs: 2000,
      cliRecords: 1_000_000,
      proxy: {
        concurrency: [
          { inFlight: 1, calls: 300 },
          { inFlight: 64, calls: 1000 },
        ],
        rounds: 15,
        warmupCalls: 500,
        spaced: { calls: 40, pauseMs: 50, rounds: 5, warmupCalls: 200 },
        loss: { calls: 100_000, inFlight: 10_000, repetitions: 3 },
      },
      proxyHttp: {
        concurrency: [
          { inFlight: 1, calls: 300 },
          { inFlight: 64, calls: 1000 },
        ],
        workloads: ['lookup_inventory', 'bench_echo'],
        rounds: 15,
        warmupCalls: 500,
        events: { calls: 50, events: 3, holdMs: 5 },
      },
      signing: {
        concurrency: [
          { inFlight: 1, calls: 300 },
          { inFlight: 64, calls: 1000 },
        ],
        workloads: ['bench_echo', 'lookup_inventory'],
        rounds: 15,
        warmupCalls: 500,
        checkpointRecords: 10_000,
      },
      peers: {
        concurrency: [
          { inFlight: 1, calls: 300 },
          { inFlight: 64, calls: 1000 },
        ],
        workloads: ['bench_echo', 'lookup_inventory'],
        rounds: 15,
        warmupCalls: 500,
      },
      floor: { records: 200_000, rounds: 5, profile: { calls: 5_000, warmupCalls: 500 } },
    };

/** The fsync modes, each measured over stdio against the trail without fsync. */
const DURABILITY_VARIANTS: VariantName[] = ['audited+fsync=batch', 'audited+fsync=always'];

/** Scenarios whose feature does not exist yet: none left. */
const PENDING: BenchResults['pending'] = [];

const started = performance.now();
const startedAt = new Date();
const machineAtStart = describeMachine();
const bench = createBenchContext(quick, (line) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}\n`));
process.stderr.write(
  `bench: ${quick ? 'quick' : 'full'} run${scenarios.complete ? '' : ` of ${scenarios.names.join(', ')} only`} on ${machineAtStart.cpuModel} x${machineAtStart.cores}, Node ${machineAtStart.node}; scratch in ${bench.root}\n`,
);

const timer = createScenarioTimer(scenarios, bench.progress);
const receiver = await LoopbackOtlpReceiver.start('ok');
try {
  const basePlan: Omit<OverheadPlan, 'concurrency' | 'workloads'> = {
    transports: ['in-memory', 'stdio'],
    variants: ['unaudited', 'audited', 'audited+otlp'],
    rounds: PLAN.rounds,
    warmupCalls: PLAN.overhead.warmupCalls,
    otlpUrl: receiver.url,
  };
  const overhead = await timer.run('overhead', [], async () => [
    ...(await measureOverhead(
      { ...basePlan, concurrency: PLAN.overhead.concurrency, workloads: PLAN.overhead.workloads, rounds: PLAN.overhead.rounds },
      bench,
    )),
    ...(await measureOverhead(
      {
        ...basePlan,
        transports: PLAN.overheadAt10k.transports,
        concurrency: [{ inFlight: 10_000, calls: PLAN.overheadAt10k.calls }],
        workloads: PLAN.overheadAt10k.workloads,
        rounds: PLAN.overheadAt10k.rounds,
      },
      bench,
    )),
  ]);
  const spaced = await timer.run('overhead', [], () =>
    measureOverhead(
      {
        ...basePlan,
        variants: ['unaudited', 'audited'],
        concurrency: [{ inFlight: 1, calls: PLAN.spaced.calls }],
        workloads: ['lookup_inventory', 'bench_echo'],
        rounds: PLAN.spaced.rounds,
        warmupCalls: PLAN.spaced.warmupCalls,
        pauseMs: PLAN.spaced.pauseMs,
      },
      bench,
    ),
  );
  const sinks = await timer.run('sinks', [], () =>
    measureSinkThroughput({ records: PLAN.sinkRecords, bursts: [1, 100, 10_000], rounds: PLAN.rounds }, bench),
  );
  // Repetition by repetition, every case once in an order rotated each time, so noise falls on all cases alike.
  const loss = await timer.run('loss', [], async () => {
    const results = [];
    for (let repetition = 0; repetition < PLAN.loss.repetitions; repetition++) {
      for (const lossCase of rotated(LOSS_CASES, repetition)) {
        results.push(await checkLoss(lossCase, { calls: PLAN.loss.calls, inFlight: PLAN.loss.inFlight, transport: 'stdio', repetition }, bench));
        bench.progress(`loss ${repetition + 1}/${PLAN.loss.repetitions}: ${lossCase.name}`);
      }
    }
    return results;
  });
  const startup = await timer.run('startup', [], () =>
    measureStartup(
      {
        variants: ['unaudited', 'audited'],
        rounds: PLAN.startupRounds,
        idleSettleMs: PLAN.startupIdleSettleMs,
        idleCpuMs: PLAN.startupIdleCpuMs,
      },
      bench,
    ),
  );
  const durability = await timer.run('durability', [], () =>
    measureOverhead(
      {
        ...basePlan,
        transports: ['stdio'],
        variants: ['audited', ...DURABILITY_VARIANTS],
        concurrency: PLAN.overhead.concurrency,
        workloads: ['bench_echo'],
      },
      bench,
    ),
  );
  const cli =
    Object.keys(CLI_COMMANDS).length > 1
      ? await timer.run('cli', [], () => measureCliThroughput({ records: PLAN.cliRecords, rounds: PLAN.rounds }, bench))
      : [];
  const proxy = await timer.run('proxy', undefined, () => measureProxy(PLAN.proxy, bench));
  const proxyHttp = await timer.run('proxy-http', undefined, () => measureProxyHttp(PLAN.proxyHttp, bench));
  const signing = await timer.run('signing', undefined, () => measureSigning(PLAN.signing, bench));
  const peers = await timer.run('peers', [], () => measurePeers(PLAN.peers, bench));
  const floor = await timer.run('floor', undefined, () => measureFloor(PLAN.floor, bench));
  const profilePlan = {
    workloads: ['lookup_inventory', 'bench_echo'] satisfies Workload[],
    calls: PLAN.profile.calls,
    warmupCalls: PLAN.profile.warmupCalls,
  };
  const profiles = await timer.run('profile', [], async () => [
    ...(await profileVariants({ ...profilePlan, transports: ['in-memory', 'stdio'], variants: ['unaudited', 'audited'] }, bench)),
    // The proxy's own process (the server behind it is the unaudited one profiled above).
    ...(await profileVariants({ ...profilePlan, transports: ['stdio'], variants: ['proxy(unaudited)'] }, bench)),
  ]);

  const durationS = (performance.now() - started) / 1000;
  const report = renderReport({
    quick,
    startedAt,
    durationS,
    machineAtStart,
    loadAverageAtEnd: loadavg()
      .map((load) => load.toFixed(2))
      .join(' / '),
    cpuSource: CPU_SOURCE,
    scenarioDurations: timer.durations(),
    rounds: PLAN.rounds,
    overheadRounds: PLAN.overhead.rounds,
    roundsAt10k: PLAN.overheadAt10k.rounds,
    startupRounds: PLAN.startupRounds,
    startupIdleCpuMs: PLAN.startupIdleCpuMs,
    overhead,
    spaced,
    spacedPlan: PLAN.spaced,
    sinks,
    sinkRecords: PLAN.sinkRecords,
    loss,
    lossRepetitions: PLAN.loss.repetitions,
    startup,
    durability,
    cli,
    cliRecords: PLAN.cliRecords,
    profiles,
    proxy,
    proxyHttp,
    signing,
    signingPlan: PLAN.signing,
    peers,
    peersPlan: PLAN.peers,
    floor,
    scenarios,
    pending: PENDING,
    analysisPath,
  });
  writeFileSync(reportPath, `${report}\n`);
  // The verdicts on the terminal too, so a quick run answers without opening the file (stderr: stdout stays free).
  const verdicts = /^## Targets[\s\S]*?(?=\n## )/m.exec(report)?.[0];
  if (verdicts) process.stderr.write(`\n${verdicts}\n`);
  process.stderr.write(
    `bench: done in ${(durationS / 60).toFixed(1)} min (${durationsText(timer.durations(), durationS)}); results in ${reportPath}\n`,
  );
} finally {
  await receiver.stop();
  rmSync(bench.root, { recursive: true, force: true });
}
