import { openTarget, type TransportName } from '../bench-target.js';
import type { BenchContext } from '../bench-context.js';
import type { LoadSummary } from '../call-load.js';
import { LoopbackOtlpReceiver, type ReceiverMode } from '../otlp-receiver.js';
import type { VariantName } from '../server-variants.js';
import { checkTrail, type TrailCheck } from '../trail-check.js';

export interface LossCase {
  name: string;
  variant: VariantName;
  /** For forwarding variants: how the loopback OTLP receiver behaves during the run. */
  receiver?: ReceiverMode;
  /** False for the unaudited server, run only as the memory and latency reference. */
  writesTrail?: boolean;
}

/** The first forwarding case with a healthy receiver is the one the others' p99 is compared with. */
export const LOSS_CASES: LossCase[] = [
  { name: 'unaudited (reference: no trail)', variant: 'unaudited', writesTrail: false },
  { name: 'trail only', variant: 'audited' },
  { name: 'forwarding, receiver up (200)', variant: 'audited+otlp', receiver: 'ok' },
  { name: 'forwarding, receiver answers 500', variant: 'audited+otlp', receiver: 'error500' },
  { name: 'forwarding, receiver never answers', variant: 'audited+otlp', receiver: 'hang' },
  { name: 'forwarding, receiver down', variant: 'audited+otlp', receiver: 'down' },
];

export interface LossResult extends TrailCheck {
  name: string;
  writesTrail: boolean;
  transport: TransportName;
  calls: number;
  inFlight: number;
  failures: number;
  elapsedMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's peak RSS on stdio (server and client together in memory). */
  peakRssBytes: number | undefined;
  receiverRequests: number | undefined;
  /** Spans the receiver got: forwarding is best effort (BatchSpanProcessor drops when its queue is full), the trail is not. */
  spansForwarded: number | undefined;
}

/** `calls` calls with up to `inFlight` outstanding against a fresh server, then the trail read back and checked. */
export async function checkLoss(
  lossCase: LossCase,
  plan: { calls: number; inFlight: number; transport: TransportName },
  bench: BenchContext,
): Promise<LossResult> {
  const receiver = lossCase.receiver ? await LoopbackOtlpReceiver.start(lossCase.receiver) : undefined;
  const logDir = bench.scratchDir(`loss-${lossCase.name}`);
  try {
    const target = await openTarget(plan.transport, lossCase.variant, { logDir, dataDir: logDir, otlpUrl: receiver?.url });
    let summary: LoadSummary;
    let peakRssBytes: number | undefined;
    try {
      summary = await target.run('bench_echo', plan.calls, plan.inFlight);
    } finally {
      ({ peakRssBytes } = await target.close());
    }
    return {
      name: lossCase.name,
      writesTrail: lossCase.writesTrail ?? true,
      transport: plan.transport,
      calls: plan.calls,
      inFlight: plan.inFlight,
      failures: summary.failures,
      elapsedMs: summary.elapsedMs,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      peakRssBytes,
      receiverRequests: receiver?.requests,
      spansForwarded: receiver?.spans,
      ...checkTrail(logDir, plan.calls),
    };
  } finally {
    await receiver?.stop();
  }
}
