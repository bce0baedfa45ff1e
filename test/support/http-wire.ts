import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '../../src/index.js';
import { CLI_PATH } from './cli.js';
import { freePort } from './free-port.js';
import { cleanEnv } from './spawned-server.js';
import { trailNow, type WireMessage } from './wire-proxy.js';

const fromRoot = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** Upstream MCP servers over Streamable HTTP that the project did not write, as the tests start them. */
export const UPSTREAMS = {
  // 2025 era with sessions, SSE answers and an event store (resumption); its own banner says when it listens.
  everything: {
    args: [fromRoot('node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'],
    ready: /listening on port/,
  },
  // SDK v2's createMcpHandler: the 2026-07-28 era, and the 2025 era without sessions.
  v2: { args: [fileURLToPath(new URL('../fixtures/v2-http-server.js', import.meta.url))], ready: /listening/ },
  // SDK v1's transport with sessions, behind a bearer token of its own (see the fixture for SESSION_DELETE=refused).
  v1Sessions: { args: [fileURLToPath(new URL('../fixtures/v1-http-session-server.js', import.meta.url))], ready: /listening/ },
};

/** A child process, alive once `ready` appears in its output; its output is kept. */
export class Spawned {
  output = '';
  private constructor(readonly child: ChildProcess) {}

  static async start(args: string[], env: Record<string, string>, ready: RegExp): Promise<Spawned> {
    const spawned = new Spawned(spawn(process.execPath, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] }));
    const collect = (chunk: Buffer): void => void (spawned.output += chunk.toString('utf8'));
    spawned.child.stdout!.on('data', collect);
    spawned.child.stderr!.on('data', collect);
    await spawned.until(() => ready.test(spawned.output), `${args[0]} to listen`);
    return spawned;
  }

  async until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) while waiting for ${what}: ${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Ends the process with `signal` and resolves with its exit status. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.kill(signal);
    });
  }
}

export async function startUpstream(
  kind: keyof typeof UPSTREAMS,
  port?: number,
  env: Record<string, string> = {},
): Promise<{ process: Spawned; port: number; url: string }> {
  const chosen = port ?? (await freePort());
  const process = await Spawned.start(UPSTREAMS[kind].args, { ...env, PORT: String(chosen) }, UPSTREAMS[kind].ready);
  return { process, port: chosen, url: `http://127.0.0.1:${chosen}/mcp` };
}

/** `mcp-audit proxy --upstream URL` as a user starts it, on a free port. */
export async function startHttpProxy(
  logDir: string,
  upstream: string,
  env: Record<string, string> = {},
  options: string[] = [],
): Promise<{ process: Spawned; url: URL }> {
  const port = await freePort();
  const args = [CLI_PATH, 'proxy', '--upstream', upstream, '--port', String(port), ...options];
  const process = await Spawned.start(args, { AUDIT_LOG_DIR: logDir, ...env }, /listening on/);
  return { process, url: new URL(`http://127.0.0.1:${port}/mcp`) };
}

/** A JSON-RPC response as the client received it, with the trail as it stood at that moment. */
export interface HttpArrival {
  message: WireMessage;
  trailAtArrival: AuditRecord[];
}

/**
 * A fetch for the SDK clients' transports that looks at every answer on its
 * way to the client: each JSON-RPC response (in a JSON body or an SSE event)
 * is noted with the trail as it stood before the client could read it.
 */
export function watchingFetch(logDir: string, arrivals: HttpArrival[]): typeof fetch {
  const note = (value: unknown): void => {
    for (const message of (Array.isArray(value) ? value : [value]) as WireMessage[]) {
      if (message && message.method === undefined && 'id' in message) arrivals.push({ message, trailAtArrival: trailNow(logDir) });
    }
  };
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const type = response.headers.get('content-type') ?? '';
    const decoder = new TextDecoder();
    let text = '';
    const watch = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        text += decoder.decode(chunk, { stream: true });
        if (type.includes('text/event-stream')) {
          let end: number;
          while ((end = text.search(/\r?\n\r?\n/)) !== -1) {
            const data = text
              .slice(0, end)
              .split(/\r?\n/)
              .filter((line) => line.startsWith('data:'))
              .map((line) => line.slice(5).trimStart())
              .join('\n');
            text = text.slice(text.slice(end).match(/^\r?\n\r?\n/)![0].length + end);
            if (data !== '') note(JSON.parse(data));
          }
        }
        controller.enqueue(chunk);
      },
      flush() {
        if (type.includes('application/json') && text.trim() !== '') note(JSON.parse(text));
      },
    });
    return new Response(response.body.pipeThrough(watch), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The tool_call records of `trail`, optionally only those of one request id. */
export function toolCalls(trail: AuditRecord[], id?: string | number): AuditRecord[] {
  return trail.filter((record) => record.action === 'tool_call' && (id === undefined || record.request_id === String(id)));
}

/**
 * The processes a test file starts, stopped when the file is done, so that a
 * failed assertion cannot leave one running (the file would never end).
 */
export function stoppedAfterAll(): Spawned[] {
  const started: Spawned[] = [];
  after(async () => {
    await Promise.all(started.map((process) => process.stop('SIGKILL')));
  });
  return started;
}
