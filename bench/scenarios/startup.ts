import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeStdioClient } from '../bench-target.js';
import { rotated, type BenchContext } from '../bench-context.js';
import { residentSetOf } from '../machine.js';
import { cpuTimeOf } from '../process-cpu.js';
import type { VariantName } from '../server-variants.js';
import { median, spread, type Spread } from '../stats.js';

const benchServerPath = fileURLToPath(new URL('../bench-server.js', import.meta.url));

export interface StartupRow {
  variant: VariantName;
  /** Spawn to the answer of the first tools/list (initialize handshake included), median. */
  startupMs: number;
  vsBaseline: Spread;
  idleRssBytes: number;
  idleRssVsBaseline: Spread;
  /** Server CPU per second of an idle spell after one call (median): what an idle server costs while no call comes. */
  idleCpuUsPerSecond: number;
}

/** The server spawned cold, as a client launches it, round after round in rotated order. */
export async function measureStartup(
  plan: { variants: [VariantName, ...VariantName[]]; rounds: number; idleSettleMs: number; idleCpuMs: number },
  bench: BenchContext,
): Promise<StartupRow[]> {
  const times = new Map<VariantName, number[]>(plan.variants.map((variant) => [variant, []]));
  const rss = new Map<VariantName, number[]>(plan.variants.map((variant) => [variant, []]));
  const idleCpu = new Map<VariantName, number[]>(plan.variants.map((variant) => [variant, []]));
  for (let round = 0; round < plan.rounds; round++) {
    for (const variant of rotated(plan.variants, round)) {
      const dir = bench.scratchDir(`startup-${variant}`);
      const started = performance.now();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [benchServerPath, variant],
        env: { ...(process.env as Record<string, string>), BENCH_LOG_DIR: dir, BENCH_DATA_DIR: dir },
        stderr: 'ignore',
      });
      const client = new Client({ name: 'bench-client', version: '0.0.0' });
      await client.connect(transport);
      await client.listTools();
      times.get(variant)!.push(performance.now() - started);
      // Idle: started, answered once (a call, so that the audited one has a record behind it), then left alone long
      // enough for startup garbage to be collected; then its CPU over a spell of nothing.
      await client.callTool({ name: 'bench_echo', arguments: { text: 'idle' } });
      await sleep(plan.idleSettleMs);
      rss.get(variant)!.push(residentSetOf(transport.pid!)?.currentBytes ?? Number.NaN);
      const before = cpuTimeOf(transport.pid!) ?? Number.NaN;
      await sleep(plan.idleCpuMs);
      idleCpu.get(variant)!.push((((cpuTimeOf(transport.pid!) ?? Number.NaN) - before) * 1000) / plan.idleCpuMs);
      await closeStdioClient(client, transport.pid!);
    }
    bench.progress(`startup, round ${round + 1}/${plan.rounds}`);
  }
  const baselineTimes = times.get(plan.variants[0])!;
  const baselineRss = rss.get(plan.variants[0])!;
  return plan.variants.map((variant) => ({
    variant,
    startupMs: median(times.get(variant)!),
    vsBaseline: spread(times.get(variant)!.map((time, round) => time / baselineTimes[round]!)),
    idleRssBytes: median(rss.get(variant)!),
    idleRssVsBaseline: spread(rss.get(variant)!.map((bytes, round) => bytes / baselineRss[round]!)),
    idleCpuUsPerSecond: median(idleCpu.get(variant)!),
  }));
}
