#!/usr/bin/env node
// `npm run bench:ab -- --against=<git revision> [--transport=stdio|in-memory] [--workload=bench_echo|lookup_inventory]
// [--variant=audited] [--rounds=100] [--calls=300] [--pause-ms=0]`: this tree's server against the same server built
// from another revision, taking turns round by round; prints the mean paired difference (after − before) of wall time
// and server CPU per call with its standard error. A change of a few µs per call is 1–2 standard errors on these
// machines: read it with its error, never a single round.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchTarget, TransportName } from './bench-target.js';
import type { Workload } from './call-load.js';
import type { VariantName } from './server-variants.js';
import { fixed, pairedDifference, type PairedDifference } from './stats.js';

const option = (name: string, fallback?: string): string => {
  const value = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  if (value === undefined) throw new Error(`--${name}=… is required`);
  return value;
};
const against = option('against');
const transport = option('transport', 'stdio') as TransportName;
const workload = option('workload', 'bench_echo') as Workload;
const variant = option('variant', 'audited') as VariantName;
const rounds = Number(option('rounds', '100'));
const calls = Number(option('calls', '300'));
const pauseMs = Number(option('pause-ms', '0'));

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bench-ab-'));
const before = join(scratch, 'tree');

/** `revision` checked out beside this tree and built, with this tree's node_modules. */
function buildRevision(revision: string): void {
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', before, revision], { stdio: 'inherit' });
  symlinkSync(join(root, 'node_modules'), join(before, 'node_modules'));
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', before], { stdio: 'inherit' });
}

async function open(distRoot: string, logDir: string): Promise<BenchTarget> {
  const { openTarget } = (await import(pathToFileURL(join(distRoot, 'bench/bench-target.js')).href)) as typeof import('./bench-target.js');
  return openTarget(transport, variant, { logDir, dataDir: scratch });
}

const text = ({ mean, standardError, faster, rounds: count }: PairedDifference): string =>
  `${mean >= 0 ? '+' : ''}${fixed(mean, 1)} ± ${fixed(standardError, 1)} µs (faster in ${faster} of ${count})`;

try {
  buildRevision(against);
  const targets = {
    before: await open(join(before, 'dist'), join(scratch, 'logs-before')),
    after: await open(join(root, 'dist'), join(scratch, 'logs-after')),
  };
  const wall = { before: [] as number[], after: [] as number[] };
  const cpu = { before: [] as number[], after: [] as number[] };
  for (const side of ['before', 'after'] as const) await targets[side].run(workload, Math.min(calls, 200), 1, { pauseMs });
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
      const summary = await targets[side].run(workload, calls, 1, { pauseMs, firstIndex: round * calls });
      if (summary.failures > 0) throw new Error(`${side}: ${summary.failures} calls failed`);
      wall[side].push(summary.perCallUs);
      cpu[side].push(summary.cpuUsPerCall ?? Number.NaN);
    }
  }
  for (const target of Object.values(targets)) await target.close();
  const mean = (values: number[]): string => fixed(values.reduce((sum, value) => sum + value, 0) / values.length, 1);
  process.stdout.write(
    [
      `${variant}, ${workload}, ${transport}, ${rounds} rounds of ${calls} sequential calls${pauseMs ? ` ${pauseMs} ms apart` : ''}: ${against} (before) against this tree (after)`,
      `| per call | before (mean) | after (mean) | after − before (mean ± SE) |`,
      `| --- | --- | --- | --- |`,
      `| wall time | ${mean(wall.before)} µs | ${mean(wall.after)} µs | ${text(pairedDifference(wall.before, wall.after))} |`,
      `| server CPU | ${mean(cpu.before)} µs | ${mean(cpu.after)} µs | ${text(pairedDifference(cpu.before, cpu.after))} |`,
      '',
    ].join('\n'),
  );
} finally {
  try {
    execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', before], { stdio: 'ignore' });
  } catch {
    // Not added (an unknown revision): its own error is the one to see.
  }
  rmSync(scratch, { recursive: true, force: true });
}
