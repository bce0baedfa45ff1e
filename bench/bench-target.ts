import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runCalls, type CallPacing, type LoadSummary, type Workload } from './call-load.js';
import { childPidsOf, residentSetOf } from './machine.js';
import { cpuTimeOf } from './process-cpu.js';
import type { VariantName } from './server-variants.js';

export type TransportName = 'in-memory' | 'stdio';

/**
 * What a scenario measures: a server variant spoken to directly, or the
 * same server behind `mcp-audit proxy` (issue 11; over stdio only, since
 * the proxy stands on a process's stdin and stdout).
 */
export type TargetName = VariantName | `proxy(${VariantName})`;

/** The variant behind the proxy, or undefined for a server spoken to directly. */
export function proxiedVariant(name: TargetName): VariantName | undefined {
  return /^proxy\((.+)\)$/.exec(name)?.[1] as VariantName | undefined;
}

export interface TargetOptions {
  logDir: string;
  dataDir: string;
  otlpUrl?: string | undefined;
  /** Extra node flags for the server process, e.g. --cpu-prof. */
  execArgv?: string[];
}

/** One running server variant behind one transport, driven by the same load either way. */
export interface BenchTarget {
  readonly variant: TargetName;
  readonly transport: TransportName;
  run(workload: Workload, calls: number, inFlight: number, pacing?: CallPacing): Promise<LoadSummary>;
  /**
   * Stops the server (it drains and flushes) and gives its peak RSS: the
   * server's own on stdio (the proxy's own behind the proxy, with the
   * server's beside it), server + client in memory.
   */
  close(): Promise<TargetMemory>;
}

export interface TargetMemory {
  peakRssBytes: number | undefined;
  /** Behind the proxy: the peak RSS of the server it started. */
  serverBehindPeakRssBytes?: number | undefined;
}

export type WorkerRequest = { type: 'run'; workload: Workload; calls: number; inFlight: number; pacing: CallPacing } | { type: 'close' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'ran'; summary: LoadSummary }
  | { type: 'failed'; message: string }
  | { type: 'closed'; peakRssBytes: number };

// The SDK's stdio client adds a 'drain' listener per message sent while the
// pipe is full; with thousands of calls in flight that is thousands of
// listeners, each legitimately awaiting, and Node warns past ten.
EventEmitter.defaultMaxListeners = 0;

const benchServerPath = fileURLToPath(new URL('./bench-server.js', import.meta.url));
const workerPath = fileURLToPath(new URL('./in-memory-worker.js', import.meta.url));
const cliPath = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const EXIT_GRACE_MS = 15_000;

function variantEnv(options: TargetOptions): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), BENCH_LOG_DIR: options.logDir, BENCH_DATA_DIR: options.dataDir };
  if (options.otlpUrl) env['BENCH_OTLP_URL'] = options.otlpUrl;
  return env;
}

export function openTarget(transport: TransportName, name: TargetName, options: TargetOptions): Promise<BenchTarget> {
  const behindProxy = proxiedVariant(name);
  if (behindProxy) {
    if (transport !== 'stdio') throw new Error(`${name}: the proxy stands on stdio only`);
    return openProxyTarget(behindProxy, options);
  }
  return transport === 'stdio' ? openStdioTarget(name as VariantName, options) : openInMemoryTarget(name as VariantName, options);
}

/** Spawns `bench-server.js <variant>` and connects an SDK client to it over stdio. */
export function openStdioTarget(variant: VariantName, options: TargetOptions): Promise<BenchTarget> {
  return openSpawnedTarget(variant, [...(options.execArgv ?? []), benchServerPath, variant], options, false);
}

/**
 * Spawns `mcp-audit proxy -- node bench-server.js <variant>`, as a client
 * would launch it, with the trail in `options.logDir`; `options.execArgv`
 * goes to the proxy's node, not the server's. The client lists the tools
 * first, as real clients do: the proxy learns from that answer which
 * argument fields each tool declares, and records only those.
 */
export function openProxyTarget(variant: VariantName, options: TargetOptions): Promise<BenchTarget> {
  const args = [
    ...(options.execArgv ?? []),
    cliPath,
    'proxy',
    '--service-name',
    'it-helpdesk-bench',
    '--log-dir',
    options.logDir,
    '--',
    process.execPath,
    benchServerPath,
    variant,
  ];
  return openSpawnedTarget(`proxy(${variant})`, args, options, true);
}

async function openSpawnedTarget(name: TargetName, args: string[], options: TargetOptions, behindProxy: boolean): Promise<BenchTarget> {
  const transport = new StdioClientTransport({ command: process.execPath, args, env: variantEnv(options), stderr: 'pipe' });
  let stderrTail = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-2000)));
  const client = new Client({ name: 'bench-client', version: '0.0.0' });
  await client.connect(transport);
  const pid = transport.pid!;
  // The proxy has started its server by the time it relays the initialize answer.
  const serverPid = behindProxy ? childPidsOf(pid)[0] : undefined;
  if (behindProxy) await client.listTools();
  const cpuOf = (target: number | undefined): number | undefined => (target === undefined ? undefined : cpuTimeOf(target));
  return {
    variant: name,
    transport: 'stdio',
    async run(workload, calls, inFlight, pacing = {}) {
      const before = { own: cpuTimeOf(pid), behind: cpuOf(serverPid) };
      const summary = await runCalls(client, workload, calls, inFlight, pacing).catch((error: unknown) => {
        throw new Error(`${name} over stdio failed: ${String(error)}\n${stderrTail}`);
      });
      const after = { own: cpuTimeOf(pid), behind: cpuOf(serverPid) };
      if (before.own === undefined || after.own === undefined) return summary;
      const own = (after.own - before.own) / calls;
      if (!behindProxy) return { ...summary, cpuUsPerCall: own };
      // Behind the proxy, the server side is both processes: comparable with a direct server's CPU.
      const behind = before.behind === undefined || after.behind === undefined ? Number.NaN : (after.behind - before.behind) / calls;
      return { ...summary, cpuUsPerCall: own + behind, proxyCpuUsPerCall: own };
    },
    async close() {
      const peakRssBytes = residentSetOf(pid)?.peakBytes;
      const serverBehindPeakRssBytes = serverPid === undefined ? undefined : residentSetOf(serverPid)?.peakBytes;
      await closeStdioClient(client, pid);
      return behindProxy ? { peakRssBytes, serverBehindPeakRssBytes } : { peakRssBytes };
    },
  };
}

/**
 * Closing the SDK client ends the server's stdin; the server then drains and
 * exits. A server stuck past the grace period (a forwarding exporter waiting
 * on a receiver that never answers) is killed: its records are already on
 * disk, since each is written before its response.
 */
export async function closeStdioClient(client: Client, pid: number): Promise<void> {
  await client.close();
  const deadline = Date.now() + EXIT_GRACE_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Forks an in-memory worker: server and client in one process of their own. */
export async function openInMemoryTarget(variant: VariantName, options: TargetOptions): Promise<BenchTarget> {
  const child = fork(workerPath, [variant], {
    env: variantEnv(options),
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await nextReply(child, 'ready');
  return {
    variant,
    transport: 'in-memory',
    async run(workload, calls, inFlight, pacing = {}) {
      child.send({ type: 'run', workload, calls, inFlight, pacing } satisfies WorkerRequest);
      const reply = await nextReply(child, 'ran');
      return reply.summary;
    },
    async close() {
      child.send({ type: 'close' } satisfies WorkerRequest);
      const reply = await nextReply(child, 'closed');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
      return { peakRssBytes: reply.peakRssBytes };
    },
  };
}

function nextReply<T extends WorkerReply['type']>(child: ChildProcess, type: T): Promise<Extract<WorkerReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: WorkerReply): void => {
      cleanup();
      if (message.type === type) resolve(message as Extract<WorkerReply, { type: T }>);
      else reject(new Error(message.type === 'failed' ? message.message : `in-memory worker sent ${message.type}, expected ${type}`));
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`in-memory worker exited (${code}) before ${type}`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
