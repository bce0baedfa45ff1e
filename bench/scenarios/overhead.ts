import { openTarget, type BenchTarget, type TargetMemory, type TargetName, type TransportName } from '../bench-target.js';
import { rotated, type BenchContext } from '../bench-context.js';
import type { Workload } from '../call-load.js';
import { median, spread, type Spread } from '../stats.js';

export interface OverheadPlan {
  transports: TransportName[];
  /** Calls kept in flight, and how many calls one measured batch has at that concurrency. */
  concurrency: Array<{ inFlight: number; calls: number }>;
  workloads: Workload[];
  /** The first is the baseline every other is divided by, round by round. */
  variants: [TargetName, ...TargetName[]];
  rounds: number;
  warmupCalls: number;
  /** Pause between the calls of a measured batch (not timed); 0: back to back. */
  pauseMs?: number;
  otlpUrl?: string;
}

export interface OverheadRow {
  transport: TransportName;
  inFlight: number;
  workload: Workload;
  variant: TargetName;
  /** Pause between calls in the measured batches; 0 for back-to-back calls. */
  pauseMs: number;
  /** Wall time per call (with pauses, the calls' own time), median over rounds. */
  perCallUs: number;
  p99Ms: number;
  /** This variant's per-call time over the baseline's in the same round. */
  vsBaseline: Spread;
  /** This variant's per-call time minus the baseline's in the same round, µs. */
  addedUs: Spread;
  /** Over the variant listed just before it (e.g. forwarding over trail only). */
  vsPrevious: Spread | undefined;
  /** Server CPU time per call (median), and its ratio to the baseline's, round by round; NaN where not measurable. */
  cpuUsPerCall: number;
  cpuVsBaseline: Spread;
  /** Behind the proxy: the proxy process's own CPU µs per call (median); NaN otherwise. */
  proxyCpuUsPerCall: number;
  failures: number;
  /** Peak RSS of this variant's process over the whole scenario, every row of it (see BenchTarget.close). */
  memory: TargetMemory;
}

/**
 * Per-call cost of each variant against the first, with every variant alive
 * in its own process for the whole run and batches interleaved round by
 * round in rotated order, so machine noise hits all of them alike.
 */
export async function measureOverhead(plan: OverheadPlan, bench: BenchContext): Promise<OverheadRow[]> {
  const rows: OverheadRow[] = [];
  const pauseMs = plan.pauseMs ?? 0;
  for (const transport of plan.transports) {
    const targets = new Map<TargetName, BenchTarget>();
    const transportRows: OverheadRow[] = [];
    for (const variant of plan.variants) {
      const dir = bench.scratchDir(`overhead-${transport}-${variant}`);
      targets.set(variant, await openTarget(transport, variant, { logDir: dir, dataDir: dir, otlpUrl: plan.otlpUrl }));
    }
    try {
      for (const target of targets.values()) {
        for (const workload of plan.workloads) {
          await target.run(workload, plan.warmupCalls, 1);
          await target.run(workload, plan.warmupCalls, 100);
        }
      }
      const perCall = new Map<string, number[]>();
      const cpu = new Map<string, number[]>();
      const proxyCpu = new Map<string, number[]>();
      const p99 = new Map<string, number[]>();
      const failures = new Map<string, number>();
      const key = (inFlight: number, workload: Workload, variant: TargetName): string => `${inFlight}|${workload}|${variant}`;
      for (let round = 0; round < plan.rounds; round++) {
        for (const { inFlight, calls } of plan.concurrency) {
          for (const workload of plan.workloads) {
            for (const variant of rotated(plan.variants, round)) {
              const summary = await targets.get(variant)!.run(workload, calls, inFlight, { pauseMs });
              const k = key(inFlight, workload, variant);
              perCall.set(k, [...(perCall.get(k) ?? []), summary.perCallUs]);
              cpu.set(k, [...(cpu.get(k) ?? []), summary.cpuUsPerCall ?? Number.NaN]);
              proxyCpu.set(k, [...(proxyCpu.get(k) ?? []), summary.proxyCpuUsPerCall ?? Number.NaN]);
              p99.set(k, [...(p99.get(k) ?? []), summary.p99Ms]);
              failures.set(k, (failures.get(k) ?? 0) + summary.failures);
            }
          }
          bench.progress(`overhead ${transport}, ${inFlight} in flight${pauseMs ? `, ${pauseMs} ms apart` : ''}, round ${round + 1}/${plan.rounds}`);
        }
      }
      for (const { inFlight } of plan.concurrency) {
        for (const workload of plan.workloads) {
          const baseline = perCall.get(key(inFlight, workload, plan.variants[0]))!;
          const baselineCpu = cpu.get(key(inFlight, workload, plan.variants[0]))!;
          plan.variants.forEach((variant, index) => {
            const own = perCall.get(key(inFlight, workload, variant))!;
            const ownCpu = cpu.get(key(inFlight, workload, variant))!;
            const previous = index > 1 ? perCall.get(key(inFlight, workload, plan.variants[index - 1]!))! : undefined;
            transportRows.push({
              transport,
              inFlight,
              workload,
              variant,
              pauseMs,
              perCallUs: median(own),
              p99Ms: median(p99.get(key(inFlight, workload, variant))!),
              vsBaseline: spread(own.map((value, round) => value / baseline[round]!)),
              addedUs: spread(own.map((value, round) => value - baseline[round]!)),
              vsPrevious: previous ? spread(own.map((value, round) => value / previous[round]!)) : undefined,
              cpuUsPerCall: median(ownCpu),
              cpuVsBaseline: spread(ownCpu.map((value, round) => value / baselineCpu[round]!)),
              proxyCpuUsPerCall: median(proxyCpu.get(key(inFlight, workload, variant))!),
              failures: failures.get(key(inFlight, workload, variant))!,
              memory: { peakRssBytes: undefined },
            });
          });
        }
      }
    } finally {
      const memory = new Map<TargetName, TargetMemory>();
      for (const [variant, target] of targets) memory.set(variant, await target.close());
      rows.push(...transportRows.map((row) => ({ ...row, memory: memory.get(row.variant)! })));
    }
  }
  return rows;
}
