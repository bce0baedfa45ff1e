import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One system call as `strace -y` printed it. */
export interface Syscall {
  /** 1-based line in the trace file (of the call's start, if strace split it), for messages. */
  line: number;
  name: string;
  /** `-y`'s path of the descriptor the call works on: the first argument's, or for openat the one it returned. */
  path: string | null;
  args: string;
  /** The return value as printed: `0`, `18</path>`, `-1 ENOENT (…)`. */
  result: string;
}

const CALL = /^(\w+)\((.*)\)\s+=\s+(.*)$/;
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. \w+ resumed>(.*)$/;

/** Parses a trace written with `strace -f -y -o file`, joining calls that other threads split in two. */
export function parseStrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const started = new Map<string, { line: number; text: string }>();
  text.split('\n').forEach((raw, index) => {
    const match = /^(\d+)\s+(.*)$/.exec(raw);
    if (!match) return;
    const [, pid, body] = match as unknown as [string, string, string];
    if (body.endsWith(UNFINISHED)) {
      started.set(pid, { line: index + 1, text: body.slice(0, -UNFINISHED.length) });
      return;
    }
    let line = index + 1;
    let whole = body;
    const resumed = RESUMED.exec(body);
    if (resumed) {
      const start = started.get(pid);
      if (!start) return;
      started.delete(pid);
      line = start.line;
      whole = start.text + resumed[1];
    }
    const call = CALL.exec(whole);
    if (!call) return; // a signal, an exit
    const [, name, args, result] = call as unknown as [string, string, string, string];
    const described = name === 'openat' ? result : args;
    const path = /^\d+<([^>]*)>/.exec(described)?.[1] ?? null;
    calls.push({ line, name, path, args, result });
  });
  return calls;
}

/** strace's version line; throws, saying what to install, if it cannot run. */
export function straceVersion(): string {
  const run = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(
      `strace is needed to observe the writer's system calls and could not run (${run.error?.message ?? run.stderr}): install it (Debian: apt-get install strace)`,
    );
  }
  return run.stdout.split('\n')[0]!;
}

/**
 * Runs `node script …args` under `strace -f -y -e trace=<syscalls>`, within `timeoutMs`, and returns its stdout
 * and the calls traced. Throws with strace's stderr if the run failed (ptrace not permitted, the script failed).
 */
export async function traceNode(
  traceFile: string,
  syscalls: string[],
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ stdout: string; calls: Syscall[] }> {
  const strace = spawn('strace', ['-f', '-qq', '-y', '-e', `trace=${syscalls.join(',')}`, '-o', traceFile, process.execPath, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  strace.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  strace.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => strace.on('close', (...exit) => resolve(exit)));
  if (code !== 0) throw new Error(`strace … node ${script} ended with ${signal ?? `code ${code}`}:\n${stderr}`);
  return { stdout, calls: parseStrace(readFileSync(traceFile, 'utf8')) };
}
