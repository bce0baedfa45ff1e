import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { CPU_SOURCE, cpuTimeOf, type CpuSource } from '../../bench/process-cpu.js';

// A real child that, for each line "main N" or "worker N" on stdin, burns N
// ms of CPU on its main thread or on a worker thread that stays alive, and
// answers "done".
const BURNER = `
const { Worker } = require('node:worker_threads');
// Spins until the process has used ms more CPU: the same burn however busy the machine is.
function spin(ms) {
  const start = process.cpuUsage();
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ms * 1000) return;
  }
}
const worker = new Worker(\`\${spin}; const { parentPort } = require('node:worker_threads'); parentPort.on('message', (ms) => { spin(ms); parentPort.postMessage('done'); });\`, { eval: true });
// The worker would keep the process alive: the end of stdin ends it.
process.stdin.on('end', () => process.exit(0));
worker.on('message', () => process.stdout.write('done\\n'));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [where, ms] = line.split(' ');
  if (where === 'worker') return worker.postMessage(Number(ms));
  spin(Number(ms));
  process.stdout.write('done\\n');
});
`;

let child: ChildProcessWithoutNullStreams;
let answers: AsyncIterator<string>;

before(() => {
  child = spawn(process.execPath, ['-e', BURNER]);
  answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
});
after(async () => {
  if (child.exitCode === null) {
    child.stdin.end();
    await once(child, 'exit');
  }
});

/** CPU µs the child used, read from `source`, around a burn of `ms`. */
async function burn(ms: number, source: CpuSource, where: 'main' | 'worker' = 'main'): Promise<number> {
  const beforeUs = cpuTimeOf(child.pid!, source);
  child.stdin.write(`${where} ${ms}\n`);
  assert.equal((await answers.next()).value, 'done');
  const afterUs = cpuTimeOf(child.pid!, source);
  assert.ok(beforeUs !== undefined && afterUs !== undefined, 'the child is alive, so /proc has it');
  return afterUs - beforeUs;
}

// A kernel without scheduler statistics shows zeros in schedstat: the bench then falls back to ticks.
const kernelHasSchedstat = Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[0]) > 0;

test('the bench reads schedstat where the kernel fills it in, ticks elsewhere', () => {
  assert.equal(CPU_SOURCE, kernelHasSchedstat ? 'schedstat' : 'ticks');
});

for (const source of ['schedstat', 'ticks'] as const) {
  const skip = source === 'schedstat' && !kernelHasSchedstat && 'no scheduler statistics on this kernel';
  test(`${source}: a 200 ms burn reads as a plausible CPU time`, { skip }, async () => {
    const usedUs = await burn(200, source);
    // Bounded, not tight: the burn itself is ≥ 200 ms of CPU; the rest is the child's own overhead.
    assert.ok(usedUs >= 100_000 && usedUs <= 2_000_000, `${usedUs} µs`);
  });
}

test('schedstat is finer than the 10 ms tick: a 3 ms burn reads as neither 0 nor a whole number of ticks', {
  skip: !kernelHasSchedstat && 'no scheduler statistics on this kernel',
}, async () => {
  const usedUs = await burn(3, 'schedstat');
  assert.ok(usedUs >= 2_000 && usedUs < 50_000, `${usedUs} µs`);
  assert.notEqual(usedUs % 10_000, 0, `${usedUs} µs is a multiple of 10 ms`);
});

test('schedstat counts every thread of the process: a 200 ms burn on a worker thread', {
  skip: !kernelHasSchedstat && 'no scheduler statistics on this kernel',
}, async () => {
  const usedUs = await burn(200, 'schedstat', 'worker');
  assert.ok(usedUs >= 100_000 && usedUs <= 2_000_000, `${usedUs} µs`);
});

test('a process that has exited has no CPU reading', async () => {
  const gone = spawn(process.execPath, ['-e', '']);
  const pid = gone.pid!;
  await once(gone, 'exit');
  // Reaped by the 'exit' handler, so /proc no longer lists it.
  assert.equal(cpuTimeOf(pid), undefined);
});
