import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { rotated, type BenchContext } from '../bench-context.js';
import { runCalls, type Workload } from '../call-load.js';
import { residentSetOf } from '../machine.js';
import { cpuTimeOf } from '../process-cpu.js';
import { median, quantile, spread, type Spread } from '../stats.js';

/**
 * Issue 12's performance section: `mcp-audit proxy --upstream URL` in front
 * of the unaudited help desk over Streamable HTTP (bench/http-upstream.ts),
 * against the same upstream process spoken to directly over loopback HTTP,
 * with JSON answers and with SSE answers. Direct and proxy take turns batch
 * by batch, in an order rotated every round.
 */
export type HttpMode = 'json' | 'sse';
export type HttpPath = 'direct' | 'proxy';

export interface ProxyHttpPlan {
  concurrency: Array<{ inFlight: number; calls: number }>;
  workloads: Workload[];
  rounds: number;
  warmupCalls: number;
  /** SSE only: sequential `bench_stream` calls per round and path, each sending `events` progress events then holding its answer `holdMs`. */
  events: { calls: number; events: number; holdMs: number };
}

export interface ProxyHttpRow {
  mode: HttpMode;
  inFlight: number;
  workload: Workload;
  directUs: number;
  proxyUs: number;
  /** proxy / direct, per round. */
  vsDirect: Spread;
  /** proxy − direct, µs, per round. */
  addedUs: Spread;
  directP99Ms: number;
  proxyP99Ms: number;
  /** The proxy process's CPU (bench/process-cpu.ts) per call, median over rounds. */
  proxyCpuUsPerCall: number;
  failures: number;
}

/** Per round: p99 of (arrival at the client − sent by the upstream) of every progress event, direct and through the proxy. */
export interface EventDelayRound {
  directP99Ms: number;
  proxyP99Ms: number;
  directP50Ms: number;
  proxyP50Ms: number;
}

export interface ProxyHttpResults {
  plan: ProxyHttpPlan;
  rows: ProxyHttpRow[];
  events: EventDelayRound[];
  /** Peak RSS of each proxy process over the whole scenario, and of the upstream. */
  proxyPeakRssBytes: Record<HttpMode, number | undefined>;
  upstreamPeakRssBytes: number | undefined;
}

/**
 * The delays of one batch of events, summarised: each event's arrival minus
 * the time the upstream stamped on it. Both clocks are the same machine's
 * wall clock, read in two processes; any offset between them is the same
 * for direct and proxy, so the proxy's added delay (the difference) is exact
 * where the absolute figures are only close.
 */
export function eventDelayRound(direct: readonly number[], proxy: readonly number[]): EventDelayRound {
  return {
    directP99Ms: quantile(direct, 0.99),
    proxyP99Ms: quantile(proxy, 0.99),
    directP50Ms: quantile(direct, 0.5),
    proxyP50Ms: quantile(proxy, 0.5),
  };
}

/** What the proxy adds to the events' p99, round by round: proxy p99 − direct p99, ms. */
export function addedEventDelay(rounds: readonly EventDelayRound[]): Spread & { max: number } {
  const added = rounds.map((round) => round.proxyP99Ms - round.directP99Ms);
  return { ...spread(added), max: added.length ? Math.max(...added) : Number.NaN };
}

const upstreamPath = fileURLToPath(new URL('../http-upstream.js', import.meta.url));
const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const wallMs = (): number => performance.timeOrigin + performance.now();

async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  stream: 'stdout' | 'stderr',
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env: { ...(process.env as Record<string, string>), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const found = ready.exec(seen);
      if (found) resolve(found);
    };
    child[stream]!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before it listened: ${seen.slice(-2000)}`)));
  });
  // Keep draining both pipes so neither process ever blocks on a full one.
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, match };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'bench-client', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  // As in section 7: the proxy records only the argument fields a tool declares in a tools/list answer it saw.
  await client.listTools();
  return client;
}

/** Sequential `bench_stream` calls; the delay of every progress event that reached the client. */
async function eventDelays(client: Client, plan: ProxyHttpPlan['events']): Promise<number[]> {
  const delays: number[] = [];
  for (let call = 0; call < plan.calls; call++) {
    await client.callTool({ name: 'bench_stream', arguments: { events: plan.events, holdMs: plan.holdMs } }, undefined, {
      onprogress: (progress) => void delays.push(wallMs() - Number(progress.message)),
    });
  }
  return delays;
}

export async function measureProxyHttp(plan: ProxyHttpPlan, bench: BenchContext): Promise<ProxyHttpResults> {
  const dataDir = bench.scratchDir('proxy-http-upstream');
  const upstream = await startProcess([upstreamPath], { BENCH_DATA_DIR: dataDir }, /listening (\d+)/, 'stdout');
  const base = `http://127.0.0.1:${upstream.match[1]}`;
  const proxies = new Map<HttpMode, ChildProcess>();
  const clients = new Map<string, Client>();
  const key = (mode: HttpMode, path: HttpPath): string => `${mode}|${path}`;
  try {
    for (const mode of ['json', 'sse'] as const) {
      const logDir = bench.scratchDir(`proxy-http-${mode}`);
      const proxy = await startProcess(
        [cliPath, 'proxy', '--upstream', `${base}/${mode}`, '--service-name', 'it-helpdesk-bench', '--log-dir', logDir],
        { PORT: '0', HOST: '127.0.0.1' },
        /listening on (http:\/\/\S+?),/,
        'stderr',
      );
      proxies.set(mode, proxy.child);
      clients.set(key(mode, 'direct'), await connect(`${base}/${mode}`));
      clients.set(key(mode, 'proxy'), await connect(proxy.match[1]!));
    }
    for (const client of clients.values()) {
      for (const workload of plan.workloads) {
        await runCalls(client, workload, plan.warmupCalls, 1);
        await runCalls(client, workload, plan.warmupCalls, 64);
      }
    }
    const perCall = new Map<string, number[]>();
    const p99 = new Map<string, number[]>();
    const proxyCpu = new Map<string, number[]>();
    const failures = new Map<string, number>();
    const push = (map: Map<string, number[]>, k: string, value: number): void => void map.set(k, [...(map.get(k) ?? []), value]);
    const events: EventDelayRound[] = [];
    const paths: HttpPath[] = ['direct', 'proxy'];
    for (let round = 0; round < plan.rounds; round++) {
      for (const mode of ['json', 'sse'] as const) {
        for (const { inFlight, calls } of plan.concurrency) {
          for (const workload of plan.workloads) {
            for (const path of rotated(paths, round)) {
              const pid = proxies.get(mode)!.pid!;
              const before = cpuTimeOf(pid);
              const summary = await runCalls(clients.get(key(mode, path))!, workload, calls, inFlight);
              const after = cpuTimeOf(pid);
              const k = `${mode}|${inFlight}|${workload}|${path}`;
              push(perCall, k, summary.perCallUs);
              push(p99, k, summary.p99Ms);
              if (path === 'proxy' && before !== undefined && after !== undefined) push(proxyCpu, k, (after - before) / calls);
              failures.set(k, (failures.get(k) ?? 0) + summary.failures);
            }
          }
        }
      }
      const delays = new Map<HttpPath, number[]>();
      for (const path of rotated(paths, round)) delays.set(path, await eventDelays(clients.get(key('sse', path))!, plan.events));
      events.push(eventDelayRound(delays.get('direct')!, delays.get('proxy')!));
      bench.progress(`proxy-http round ${round + 1}/${plan.rounds}`);
    }
    const rows: ProxyHttpRow[] = [];
    for (const mode of ['json', 'sse'] as const) {
      for (const { inFlight } of plan.concurrency) {
        for (const workload of plan.workloads) {
          const k = (path: HttpPath): string => `${mode}|${inFlight}|${workload}|${path}`;
          const direct = perCall.get(k('direct'))!;
          const proxied = perCall.get(k('proxy'))!;
          rows.push({
            mode,
            inFlight,
            workload,
            directUs: median(direct),
            proxyUs: median(proxied),
            vsDirect: spread(proxied.map((value, round) => value / direct[round]!)),
            addedUs: spread(proxied.map((value, round) => value - direct[round]!)),
            directP99Ms: median(p99.get(k('direct'))!),
            proxyP99Ms: median(p99.get(k('proxy'))!),
            proxyCpuUsPerCall: median(proxyCpu.get(k('proxy')) ?? []),
            failures: (failures.get(k('direct')) ?? 0) + (failures.get(k('proxy')) ?? 0),
          });
        }
      }
    }
    const proxyPeakRssBytes = { json: residentSetOf(proxies.get('json')!.pid!)?.peakBytes, sse: residentSetOf(proxies.get('sse')!.pid!)?.peakBytes };
    return { plan, rows, events, proxyPeakRssBytes, upstreamPeakRssBytes: residentSetOf(upstream.child.pid!)?.peakBytes };
  } finally {
    for (const client of clients.values()) await client.close().catch(() => {});
    for (const proxy of proxies.values()) await stop(proxy);
    await stop(upstream.child);
  }
}
