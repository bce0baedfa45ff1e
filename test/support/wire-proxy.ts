import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '../../src/index.js';
import { CLI_PATH } from './cli.js';
import { killedAfterTests } from './killed-after-tests.js';
import { cleanEnv } from './spawned-server.js';

const fromRoot = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** Servers the project did not write, as the proxy's tests start them. */
export const PYTHON_SERVER = ['python3', fromRoot('test/fixtures/stdlib_mcp_server.py')];
export const EVERYTHING_SERVER = [process.execPath, fromRoot('node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'];
export const MEMORY_SERVER = [process.execPath, fromRoot('node_modules/@modelcontextprotocol/server-memory/dist/index.js')];
export const V2_SERVER = [process.execPath, fileURLToPath(new URL('../fixtures/v2-stdio-server.js', import.meta.url))];

/**
 * The trail's records as they stand, from its regular files only (a planted
 * link or other non-file is skipped). Read while the proxy writes, a file can
 * end in the part of a line a concurrent write(2) has copied so far: only
 * complete lines count, as a record is written once its newline is.
 */
export function trailNow(logDir: string): AuditRecord[] {
  if (!existsSync(logDir)) return [];
  return readdirSync(logDir)
    .filter((name) => /^audit_\d{4}-\d{2}-\d{2}\.jsonl$/.test(name) && lstatSync(join(logDir, name)).isFile())
    .sort()
    .flatMap((name) => {
      const text = readFileSync(join(logDir, name), 'utf8');
      return text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((line) => line !== '');
    })
    .map((line) => JSON.parse(line) as AuditRecord);
}

/** `mcp-audit proxy [options] -- <server>` as a client would start it. */
export function proxyArgs(server: readonly string[], options: string[] = []): string[] {
  return [CLI_PATH, 'proxy', ...options, '--', ...server];
}

export type WireMessage = {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
};

/** A message from the proxy, with the trail as it stood at the moment the message arrived. */
export interface Arrival {
  message: WireMessage | WireMessage[];
  trailAtArrival: AuditRecord[];
}

/**
 * The proxy as a bare child process spoken to line by line, as a client's
 * transport would. Each line it sends is checked against the trail the
 * moment it arrives, so a response sent before its record is caught.
 */
export class WireProxy {
  readonly child: ChildProcessWithoutNullStreams;
  readonly arrivals: Arrival[] = [];
  private stderrText = '';
  private pending: Buffer[] = [];

  constructor(
    readonly logDir: string,
    server: readonly string[],
    env: Record<string, string> = {},
    options: string[] = [],
  ) {
    this.child = spawn(process.execPath, proxyArgs(server, options), { env: cleanEnv({ AUDIT_LOG_DIR: logDir, ...env }), stdio: 'pipe' });
    killedAfterTests(this.child);
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    // Chunks are joined only when a line ends: a message of tens of MiB arrives in hundreds of chunks.
    this.child.stdout.on('data', (chunk: Buffer) => {
      let start = 0;
      let end: number;
      while ((end = chunk.indexOf(10, start)) !== -1) {
        this.pending.push(chunk.subarray(start, end));
        const line = Buffer.concat(this.pending).toString('utf8');
        this.pending = [];
        start = end + 1;
        if (line === '') continue;
        const trailAtArrival = trailNow(logDir);
        this.arrivals.push({ message: JSON.parse(line) as WireMessage, trailAtArrival });
      }
      if (start < chunk.length) this.pending.push(chunk.subarray(start));
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  send(message: object | string): void {
    this.child.stdin.write(typeof message === 'string' ? message : `${JSON.stringify(message)}\n`);
  }

  request(id: string | number, method: string, params: object = {}): void {
    this.send({ jsonrpc: '2.0', id, method, params });
  }

  call(id: string | number, name: string, args: object = {}, meta?: object): void {
    this.request(id, 'tools/call', { name, arguments: args, ...(meta ? { _meta: meta } : {}) });
  }

  /** The 2025-era opening a client makes: initialize (id 0), then tools/list (id 1), so the proxy knows the declared fields. */
  async handshake(): Promise<void> {
    this.request(0, 'initialize', initializeParams());
    await this.response(0);
    this.request(1, 'tools/list');
    await this.response(1);
  }

  /** Resolves with the arrival of the (single, non-batch) response with exactly this id. */
  async response(id: string | number, timeoutMs = 15_000): Promise<Arrival & { message: WireMessage }> {
    const found = (): Arrival | undefined =>
      this.arrivals.find((arrival) => !Array.isArray(arrival.message) && arrival.message.id === id && arrival.message.method === undefined);
    await this.until(() => found() !== undefined, `the response to ${JSON.stringify(id)}`, timeoutMs);
    return found() as Arrival & { message: WireMessage };
  }

  async until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderrText}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Closes the proxy's stdin (the client going away) and resolves with its exit status. */
  async close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited();
  }

  exited(): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
  }
}

export const initializeParams = (name = 'wire-test', version = '1.0.0', protocolVersion = '2025-06-18') => ({
  protocolVersion,
  capabilities: { sampling: {} },
  clientInfo: { name, version },
});

/** The tool_call records in `trail` for request id `id` (as the record writes it: a string). */
export function callRecords(trail: AuditRecord[], id: string | number): AuditRecord[] {
  return trail.filter((record) => record.action === 'tool_call' && record.request_id === String(id));
}
