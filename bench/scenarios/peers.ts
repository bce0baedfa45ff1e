import type { BenchContext } from '../bench-context.js';
import type { TargetName } from '../bench-target.js';
import type { Workload } from '../call-load.js';
import { measureOverhead, type OverheadRow } from './overhead.js';

/**
 * Issue 16's peers: what a user would pick instead of this library, each the
 * same bench server with the same tools, spoken to by the same client over
 * stdio in the same rounds, batches interleaved in rotated order. Ours comes
 * second, so every row's `vsBaseline` is over the unaudited server.
 */
export const PEER_COMPARISON: [TargetName, ...TargetName[]] = ['unaudited', 'audited', 'peer:pino', 'peer:otel-span', 'peer:seed-appendFile'];

export interface PeersPlan {
  /** One and 64 in flight, as the issue asks. */
  concurrency: Array<{ inFlight: number; calls: number }>;
  workloads: Workload[];
  rounds: number;
  warmupCalls: number;
}

export function measurePeers(plan: PeersPlan, bench: BenchContext): Promise<OverheadRow[]> {
  return measureOverhead({ transports: ['stdio'], variants: PEER_COMPARISON, ...plan }, bench);
}
