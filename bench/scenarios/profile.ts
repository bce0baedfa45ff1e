import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openTarget, type TargetName, type TransportName } from '../bench-target.js';
import type { BenchContext } from '../bench-context.js';
import type { Workload } from '../call-load.js';
import { summarizeCpuProfile, type ProfileSummary } from '../cpu-profile.js';

export interface ProfileRow {
  transport: TransportName;
  variant: TargetName;
  workload: Workload;
  calls: number;
  /** Busy (non-idle) CPU time of the profiled process per call. */
  busyUsPerCall: number;
  summary: ProfileSummary;
}

/**
 * Runs each variant under `node --cpu-prof` with sequential calls and sums
 * self time by function and by area. On stdio the profile is the server's
 * alone; in memory it holds the client too, which is the same for every variant.
 */
function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export async function profileVariants(
  plan: { transports: TransportName[]; variants: TargetName[]; workloads: Workload[]; calls: Record<Workload, number>; warmupCalls: number },
  bench: BenchContext,
): Promise<ProfileRow[]> {
  const rows: ProfileRow[] = [];
  for (const transport of plan.transports) {
    for (const workload of plan.workloads) {
      for (const variant of plan.variants) {
        const dir = bench.scratchDir(`profile-${transport}-${workload}-${variant}`);
        const profileDir = join(dir, 'cpuprofile');
        mkdirSync(profileDir);
        const target = await openTarget(transport, variant, { logDir: dir, dataDir: dir, execArgv: ['--cpu-prof', '--cpu-prof-dir', profileDir] });
        let window: { fromUs: number; toUs: number };
        try {
          await target.run(workload, plan.warmupCalls, 1);
          const fromUs = monotonicMicros();
          await target.run(workload, plan.calls[workload], 1);
          window = { fromUs, toUs: monotonicMicros() };
        } finally {
          await target.close();
        }
        const summary = summarizeCpuProfile(profileDir, window);
        rows.push({
          transport,
          variant,
          workload,
          calls: plan.calls[workload],
          busyUsPerCall: (summary.busyMs * 1000) / plan.calls[workload],
          summary,
        });
        bench.progress(`profile ${transport} ${workload} ${variant}`);
      }
    }
  }
  return rows;
}
