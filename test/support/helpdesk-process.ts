import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killedAfterTests } from './killed-after-tests.js';
import { makeTempDir } from './trail-files.js';

export const helpdeskServerPath = fileURLToPath(new URL('../../src/bin/helpdesk-server.js', import.meta.url));

export interface HelpdeskDirs {
  logDir: string;
  dataDir: string;
}

export function helpdeskDirs(prefix: string): HelpdeskDirs {
  const root = makeTempDir(prefix);
  return { logDir: join(root, 'logs'), dataDir: join(root, 'data') };
}

function serverEnv(dirs: HelpdeskDirs): Record<string, string> {
  return { ...(process.env as Record<string, string>), AUDIT_LOG_DIR: dirs.logDir, HELPDESK_DATA_DIR: dirs.dataDir };
}

/** A real SDK client talking to a spawned help-desk server over stdio. */
export async function connectOverStdio(dirs: HelpdeskDirs, clientInfo = { name: 'e2e-client', version: '2.0.0' }): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [helpdeskServerPath], env: serverEnv(dirs), stderr: 'pipe' });
  const client = new Client(clientInfo);
  await client.connect(transport);
  return client;
}

/** The server as a bare child process, for tests that speak JSON-RPC by hand or send signals. */
export function spawnHelpdesk(dirs: HelpdeskDirs, extraEnv: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return killedAfterTests(spawn(process.execPath, [helpdeskServerPath], { env: { ...serverEnv(dirs), ...extraEnv }, stdio: 'pipe' }));
}

export function jsonRpc(id: number | null, method: string, params: Record<string, unknown> = {}): string {
  const message = id === null ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params };
  return `${JSON.stringify(message)}\n`;
}

export const INITIALIZE =
  jsonRpc(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-client', version: '1.0.0' } }) +
  jsonRpc(null, 'notifications/initialized');

/** Resolves with the exit code (or signal) once the child has exited. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Collects stdout lines as they arrive. */
export function collectLines(child: ChildProcessWithoutNullStreams): string[] {
  const lines: string[] = [];
  let carry = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    lines.push(...parts.filter((line) => line !== ''));
  });
  return lines;
}

/** Polls until `condition` holds; fails the test after `timeoutMs` instead of hanging it. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
