import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { killedAfterTests } from './killed-after-tests.js';

const child = fileURLToPath(new URL('./trail-writer-child.js', import.meta.url));

/** Starts trail-writer-child.js (see there for the arguments) and follows its "acked <n>" lines. */
export function startWriter(
  dir: string,
  id: string,
  count: number,
  padding = 0,
  then: 'close' | 'exit' | 'hang' | 'hang-lagging' | 'freeze' = 'close',
  stopFile?: string,
) {
  const env = stopFile ? { ...process.env, STOP_FILE: stopFile } : process.env;
  // Killed after the file's tests: a `hang-lagging` child whose head never lags (a broken writer) would hang it.
  const process_ = killedAfterTests(
    spawn(process.execPath, [child, dir, id, String(count), String(padding), then], { stdio: ['ignore', 'pipe', 'inherit'], env }),
  );
  let acked = 0;
  let output = '';
  const acks: Array<{ atLeast: number; resolve: () => void }> = [];
  let hung = (): void => {};
  const hanging = new Promise<void>((resolve) => (hung = resolve));
  process_.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const match of chunk.matchAll(/acked (\d+)/g)) acked = Number(match[1]);
    if (/^hanging$/m.test(output)) hung();
    for (const waiting of acks.filter((ack) => acked >= ack.atLeast)) waiting.resolve();
  });
  const exited = new Promise<number | null>((resolve) => process_.on('exit', (code) => resolve(code)));
  return {
    process: process_,
    exited,
    /** Resolves once a `hang-lagging` child blocks with its head lagging. */
    hanging,
    get acked() {
      return acked;
    },
    get output() {
      return output;
    },
    ackedAtLeast: (atLeast: number) => new Promise<void>((resolve) => (acked >= atLeast ? resolve() : acks.push({ atLeast, resolve }))),
  };
}
