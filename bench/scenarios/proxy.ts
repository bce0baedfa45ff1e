import { rotated, type BenchContext } from '../bench-context.js';
import type { TargetName } from '../bench-target.js';
import { checkLoss, PROXY_LOSS_CASES, type LossResult } from './loss.js';
import { measureOverhead, type OverheadRow } from './overhead.js';

/**
 * Issue 11's performance section: `mcp-audit proxy` in front of the
 * unaudited server against that server spoken to directly, with the
 * embedded audited server measured in the same rounds (the proxy's cost is
 * judged against the library's). The embedded server comes just before the
 * proxy, so a proxy row's `vsPrevious` is proxy / embedded, round by round.
 */
export const PROXY_COMPARISON: [TargetName, ...TargetName[]] = ['unaudited', 'audited', 'proxy(unaudited)'];

export interface ProxyPlan {
  /** Sequential and 64 in flight, as the issue asks. */
  concurrency: Array<{ inFlight: number; calls: number }>;
  rounds: number;
  warmupCalls: number;
  /** Sequential calls with a pause between them: the writer's cold path, as in section 1. */
  spaced: { calls: number; pauseMs: number; rounds: number; warmupCalls: number };
  /** Up to 10,000 calls in flight through the proxy, then the trail read back. */
  loss: { calls: number; inFlight: number; repetitions: number };
}

export interface ProxyResults {
  plan: ProxyPlan;
  overhead: OverheadRow[];
  spaced: OverheadRow[];
  loss: LossResult[];
}

export async function measureProxy(plan: ProxyPlan, bench: BenchContext): Promise<ProxyResults> {
  const base = { transports: ['stdio' as const], variants: PROXY_COMPARISON, workloads: ['lookup_inventory' as const, 'bench_echo' as const] };
  const overhead = await measureOverhead({ ...base, concurrency: plan.concurrency, rounds: plan.rounds, warmupCalls: plan.warmupCalls }, bench);
  const spaced = await measureOverhead(
    {
      ...base,
      concurrency: [{ inFlight: 1, calls: plan.spaced.calls }],
      rounds: plan.spaced.rounds,
      warmupCalls: plan.spaced.warmupCalls,
      pauseMs: plan.spaced.pauseMs,
    },
    bench,
  );
  const loss: LossResult[] = [];
  for (let repetition = 0; repetition < plan.loss.repetitions; repetition++) {
    for (const lossCase of rotated(PROXY_LOSS_CASES, repetition)) {
      loss.push(await checkLoss(lossCase, { calls: plan.loss.calls, inFlight: plan.loss.inFlight, transport: 'stdio', repetition }, bench));
      bench.progress(`proxy loss ${repetition + 1}/${plan.loss.repetitions}: ${lossCase.name}`);
    }
  }
  return { plan, overhead, spaced, loss };
}
