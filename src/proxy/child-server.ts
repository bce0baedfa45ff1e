import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** How the server process ended: its exit code or signal, or why it never started. */
export type ChildExit = { code: number | null; signal: NodeJS.Signals | null } | { startError: NodeJS.ErrnoException };

/** After SIGTERM, how long a server gets before SIGKILL. */
const KILL_AFTER_MS = 2000;

/**
 * The server the proxy stands in front of, as a child process: its stdin and
 * stdout carry JSON-RPC, its stderr is the proxy's own. Told to stop the way
 * the MCP stdio transport says: stdin closed, then SIGTERM after a grace
 * period, then SIGKILL.
 */
export class ChildServer {
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Resolves once the process is gone and its stdout is drained (or it failed to start). */
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcess;
  private stopTimers: NodeJS.Timeout[] = [];

  constructor(command: string, args: readonly string[]) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.stdin = this.child.stdin!;
    this.stdout = this.child.stdout!;
    // The server going away while we write to it is reported by its exit, not as an error here.
    this.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      let started = false;
      this.child.once('spawn', () => (started = true));
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        if (!started) resolve({ startError: error });
      });
      this.child.once('close', (code, signal) => {
        for (const timer of this.stopTimers) clearTimeout(timer);
        resolve({ code, signal });
      });
    });
  }

  /** Closes the server's stdin; SIGTERM after `graceMs` if it is still running, SIGKILL 2 s later. */
  stop(graceMs: number): void {
    if (this.stopTimers.length > 0) return;
    this.stdin.end();
    const signal = (name: NodeJS.Signals): void => void (this.child.exitCode === null && this.child.signalCode === null && this.child.kill(name));
    this.stopTimers = [setTimeout(() => signal('SIGTERM'), graceMs), setTimeout(() => signal('SIGKILL'), graceMs + KILL_AFTER_MS)];
    for (const timer of this.stopTimers) timer.unref();
  }

  /** Stops the server at once. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A one-line account of how the server ended, for the client's error and the proxy's stderr. */
export function describeExit(exit: ChildExit): string {
  if ('startError' in exit) return `could not be started (${exit.startError.code === 'ENOENT' ? 'command not found' : exit.startError.message})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
