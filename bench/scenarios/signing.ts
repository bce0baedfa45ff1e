import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_DIR } from '../../src/audit/checkpoint/checkpoint-files.js';
import { Checkpointer } from '../../src/audit/checkpoint/checkpointer.js';
import { defaultOrigin } from '../../src/audit/checkpoint/signing-config.js';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import type { BenchContext } from '../bench-context.js';
import type { Workload } from '../call-load.js';
import { median } from '../stats.js';
import { measureOverhead, type OverheadPlan, type OverheadRow } from './overhead.js';
import { sampleRecord } from './sink-throughput.js';

export interface SigningPlan {
  /** Calls kept in flight over stdio, and how many calls one measured batch has at that concurrency. */
  concurrency: OverheadPlan['concurrency'];
  workloads: Workload[];
  rounds: number;
  warmupCalls: number;
  /** Records of the small trail whose checkpoints are weighed. */
  checkpointRecords: number;
}

export interface SigningResults {
  /** `audited+signed` against `audited` over stdio, in the same rounds (the first variant is the baseline). */
  perCall: OverheadRow[];
  checkpoint: { count: number; medianBytes: number; minBytes: number; maxBytes: number; origin: string };
}

/**
 * Issue 13's costs that are not a whole-trail read: the per-call cost of AUDIT_SIGNING_KEY_FILE (the same server
 * with and without it, batches interleaved round by round), and the size of one checkpoint file. The whole-trail
 * reads (`verify --public-key`, `prove`) are in the CLI scenario, on its trail.
 */
export async function measureSigning(plan: SigningPlan, bench: BenchContext): Promise<SigningResults> {
  const perCall = await measureOverhead(
    {
      transports: ['stdio'],
      variants: ['audited', 'audited+signed'],
      concurrency: plan.concurrency,
      workloads: plan.workloads,
      rounds: plan.rounds,
      warmupCalls: plan.warmupCalls,
    },
    bench,
  );
  bench.progress('signing: per-call cost done');
  // One checkpoint file as the writer writes it, under the default origin (host name + log directory).
  const dir = bench.scratchDir('signing-checkpoints');
  const origin = defaultOrigin(dir);
  const writer = new ChainedTrailWriter({
    directory: dir,
    hasher: ChainHasher.fromEnv(),
    checkpointer: new Checkpointer(dir, {
      privateKey: generateKeyPairSync('ed25519').privateKey,
      origin,
      every: 1000,
      intervalMs: 10_000,
      mirror: null,
    }),
  });
  // In awaited batches of 100, as calls come, so the writer signs every 1000 lines rather than once over one huge batch.
  for (let start = 0; start < plan.checkpointRecords; start += 100) {
    const appended = [];
    for (let index = start; index < Math.min(plan.checkpointRecords, start + 100); index++) appended.push(writer.append(sampleRecord(index)));
    await Promise.all(appended);
  }
  writer.close();
  const sizes = readdirSync(join(dir, CHECKPOINT_DIR)).map((name) => readFileSync(join(dir, CHECKPOINT_DIR, name)).length);
  return {
    perCall,
    checkpoint: { count: sizes.length, medianBytes: median(sizes), minBytes: Math.min(...sizes), maxBytes: Math.max(...sizes), origin },
  };
}
