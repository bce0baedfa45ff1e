import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { quantile } from './stats.js';

/**
 * What each call asks for: `lookup_inventory`, the help desk's fuzzy search
 * (realistic), or `bench_echo`, a tool that does nothing (the audit layer's
 * cost undiluted). The query names the call, so every record is traceable to it.
 */
export type Workload = 'lookup_inventory' | 'bench_echo';

export function benchCall(workload: Workload, index: number): { name: string; arguments: { query: string } } {
  return { name: workload, arguments: { query: `monitor ${index}` } };
}

export interface LoadSummary {
  calls: number;
  inFlight: number;
  elapsedMs: number;
  /**
   * Wall time divided by calls: the throughput view of per-call cost. With a
   * pause between calls, the mean of the calls' own wall times (pauses left out).
   */
  perCallUs: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /**
   * CPU time per call of the server's process: on stdio the server alone
   * (bench/process-cpu.ts), in memory server and client together
   * (process.cpuUsage). Filled in by the target.
   */
  cpuUsPerCall?: number;
  /** Behind `mcp-audit proxy`: the proxy process's own share of `cpuUsPerCall`. */
  proxyCpuUsPerCall?: number;
}

// Generous: with 10,000 calls in flight on a busy machine a single answer can take seconds.
const CALL_TIMEOUT_MS = 300_000;

export interface CallPacing {
  /** Number of the first call (calls are named by their number). */
  firstIndex?: number;
  /**
   * Pause before each call but the first of a lane: real MCP traffic arrives
   * seconds apart, and a writer idle between calls takes its cold path.
   */
  pauseMs?: number;
}

/** Sends `calls` tools/call requests keeping up to `inFlight` outstanding. */
export async function runCalls(
  client: Client,
  workload: Workload,
  calls: number,
  inFlight: number,
  { firstIndex = 0, pauseMs = 0 }: CallPacing = {},
): Promise<LoadSummary> {
  const latencies = new Float64Array(calls);
  let next = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    for (let first = true; next < calls; first = false) {
      const index = next++;
      if (pauseMs > 0 && !first) await sleep(pauseMs);
      const sent = performance.now();
      const result = (await client.callTool(benchCall(workload, firstIndex + index), undefined, { timeout: CALL_TIMEOUT_MS })) as CallToolResult;
      latencies[index] = performance.now() - sent;
      if (result.isError) failures++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, calls) }, lane));
  const elapsedMs = performance.now() - started;
  const all = Array.from(latencies);
  return {
    calls,
    inFlight,
    elapsedMs,
    perCallUs: pauseMs > 0 ? (all.reduce((sum, latency) => sum + latency, 0) * 1000) / calls : (elapsedMs * 1000) / calls,
    p50Ms: quantile(all, 0.5),
    p99Ms: quantile(all, 0.99),
    failures,
  };
}
