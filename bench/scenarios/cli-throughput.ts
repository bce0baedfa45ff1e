import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_DIR } from '../../src/audit/checkpoint/checkpoint-files.js';
import { Checkpointer } from '../../src/audit/checkpoint/checkpointer.js';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { rotated, type BenchContext } from '../bench-context.js';
import { median, spread, type Spread } from '../stats.js';
import { sampleRecord } from './sink-throughput.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/**
 * Commands that read a whole trail, run through `sh -c` in the trail's
 * directory. The first is the baseline: the seed's jq recipe for calls per
 * tool.
 */
export const VERIFY_SIGNED = 'mcp-audit verify --public-key';
export const PROVE = 'mcp-audit prove --seq (the middle record)';

export const CLI_COMMANDS: Record<string, string> = {
  'jq: calls per tool (seed recipe)': "cat audit_*.jsonl | jq -r '.tool_name' | sort | uniq -c | sort -rn",
  'mcp-audit stats': `"${process.execPath}" "${cli}" stats --dir . > /dev/null`,
  'mcp-audit verify': `"${process.execPath}" "${cli}" verify . > /dev/null`,
  // The trail is written with signed checkpoints (issue 13), every 1000 lines by default: these two read them.
  [VERIFY_SIGNED]: `"${process.execPath}" "${cli}" verify . --public-key "$BENCH_PUBLIC_KEY" > /dev/null`,
  [PROVE]: `"${process.execPath}" "${cli}" prove . --seq "$BENCH_PROVE_SEQ" > /dev/null`,
};

export interface CliRow {
  command: string;
  seconds: number;
  recordsPerSecond: number;
  /** This command's time over the baseline's, round by round. */
  vsBaseline: Spread;
  /** Seconds in each round, in round order (for ratios between two commands of the same round). */
  roundSeconds: number[];
  /** Signed checkpoints in the trail read (the same for every row). */
  trailCheckpoints: number;
}

/** Writes a trail of `records` records through our own writer, then times every command on it in interleaved rounds. */
export async function measureCliThroughput(plan: { records: number; rounds: number }, bench: BenchContext): Promise<CliRow[]> {
  const dir = bench.scratchDir('cli-trail');
  // Signed as AUDIT_SIGNING_KEY_FILE would sign it; the chain-only commands ignore the tree and checkpoint files.
  const keys = generateKeyPairSync('ed25519');
  const publicKeyFile = `${dir}-signing.pub`;
  writeFileSync(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const checkpointer = new Checkpointer(dir, {
    privateKey: keys.privateKey,
    origin: 'bench.example/cli-trail',
    every: 1000,
    intervalMs: 10_000,
    mirror: null,
  });
  const writer = new ChainedTrailWriter({ directory: dir, hasher: ChainHasher.fromEnv(), checkpointer });
  const env = { ...process.env, BENCH_PUBLIC_KEY: publicKeyFile, BENCH_PROVE_SEQ: String(Math.ceil(plan.records / 2)) };
  const chunk = 10_000;
  for (let start = 0; start < plan.records; start += chunk) {
    const appended = [];
    for (let index = start; index < Math.min(plan.records, start + chunk); index++) appended.push(writer.append(sampleRecord(index)));
    await Promise.all(appended);
  }
  writer.close();
  const trailCheckpoints = readdirSync(join(dir, CHECKPOINT_DIR)).length;

  const names = Object.keys(CLI_COMMANDS);
  const times = new Map<string, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < plan.rounds; round++) {
    for (const name of rotated(names, round)) times.get(name)!.push(await timeCommand(CLI_COMMANDS[name]!, dir, env));
    bench.progress(`cli, round ${round + 1}/${plan.rounds}`);
  }
  const baseline = times.get(names[0]!)!;
  return names.map((command) => {
    const own = times.get(command)!;
    return {
      command,
      seconds: median(own),
      recordsPerSecond: plan.records / median(own),
      vsBaseline: spread(own.map((seconds, round) => seconds / baseline[round]!)),
      roundSeconds: own,
      trailCheckpoints,
    };
  });
}

function timeCommand(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`${command} exited with ${code}`))));
  });
}
