import { rmSync } from 'node:fs';
import { openTarget, type TargetMemory, type TargetName, type TransportName } from '../bench-target.js';
import type { BenchContext } from '../bench-context.js';
import type { LoadSummary } from '../call-load.js';
import { LoopbackOtlpReceiver, type ReceiverMode } from '../otlp-receiver.js';
import { checkTrail, type TrailCheck } from '../trail-check.js';

export interface LossCase {
  name: string;
  variant: TargetName;
  /** For forwarding variants: how the loopback OTLP receiver behaves during the run. */
  receiver?: ReceiverMode;
  /** False for the unaudited server, run only as the memory and latency reference. */
  writesTrail?: boolean;
}

/** The case the other forwarding cases' p99 is compared with, repetition by repetition. */
export const RECEIVER_UP_CASE = 'forwarding, receiver up (200)';
/** The case the forwarding cases' peak RSS is compared with, repetition by repetition. */
export const TRAIL_ONLY_CASE = 'trail only';

export const LOSS_CASES: LossCase[] = [
  { name: 'unaudited (reference: no trail)', variant: 'unaudited', writesTrail: false },
  { name: TRAIL_ONLY_CASE, variant: 'audited' },
  { name: RECEIVER_UP_CASE, variant: 'audited+otlp', receiver: 'ok' },
  { name: 'forwarding, receiver answers 500', variant: 'audited+otlp', receiver: 'error500' },
  { name: 'forwarding, receiver never answers', variant: 'audited+otlp', receiver: 'hang' },
  { name: 'forwarding, receiver down', variant: 'audited+otlp', receiver: 'down' },
];

/** The case the proxy's loss check judges. */
export const PROXY_CASE = 'mcp-audit proxy in front of the unaudited server';
/** The case the proxy's peak RSS is compared with, repetition by repetition. */
export const EMBEDDED_CASE = 'embedded audited server';

/** Issue 11: 10,000 calls in flight through the proxy, beside the same server spoken to directly and the embedded library. */
export const PROXY_LOSS_CASES: LossCase[] = [
  { name: 'unaudited, direct (reference: no trail)', variant: 'unaudited', writesTrail: false },
  { name: EMBEDDED_CASE, variant: 'audited' },
  { name: PROXY_CASE, variant: 'proxy(unaudited)' },
];

export interface LossResult extends TrailCheck {
  name: string;
  /** Which repetition of the whole set of cases this run belongs to (0-based): cases are compared within one. */
  repetition: number;
  writesTrail: boolean;
  transport: TransportName;
  calls: number;
  inFlight: number;
  failures: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's peak RSS on stdio (server and client together in memory; the proxy's own behind the proxy). */
  peakRssBytes: number | undefined;
  /** Behind the proxy: the peak RSS of the server it started. */
  serverBehindPeakRssBytes?: number | undefined;
  receiverRequests: number | undefined;
  /** Spans the receiver got: forwarding is best effort (BatchSpanProcessor drops when its queue is full), the trail is not. */
  spansForwarded: number | undefined;
}

/** `calls` calls with up to `inFlight` outstanding against a fresh server, then the trail read back and checked. */
export async function checkLoss(
  lossCase: LossCase,
  plan: { calls: number; inFlight: number; transport: TransportName; repetition?: number },
  bench: BenchContext,
): Promise<LossResult> {
  const repetition = plan.repetition ?? 0;
  const receiver = lossCase.receiver ? await LoopbackOtlpReceiver.start(lossCase.receiver) : undefined;
  const logDir = bench.scratchDir(`loss-${repetition}-${lossCase.name}`);
  try {
    const target = await openTarget(plan.transport, lossCase.variant, { logDir, dataDir: logDir, otlpUrl: receiver?.url });
    let summary: LoadSummary;
    let memory: TargetMemory;
    try {
      summary = await target.run('bench_echo', plan.calls, plan.inFlight);
    } finally {
      memory = await target.close();
    }
    return {
      name: lossCase.name,
      repetition,
      writesTrail: lossCase.writesTrail ?? true,
      transport: plan.transport,
      calls: plan.calls,
      inFlight: plan.inFlight,
      failures: summary.failures,
      elapsedMs: summary.elapsedMs,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      peakRssBytes: memory.peakRssBytes,
      serverBehindPeakRssBytes: memory.serverBehindPeakRssBytes,
      receiverRequests: receiver?.requests,
      spansForwarded: receiver?.spans,
      ...checkTrail(logDir, plan.calls),
    };
  } finally {
    await receiver?.stop();
    // ~75 MB a case at full size, times cases and repetitions: checked, it has served its purpose.
    rmSync(logDir, { recursive: true, force: true });
  }
}
