import { Checkpointer } from '../checkpoint/checkpointer.js';
import { signingConfigFromEnv } from '../checkpoint/signing-config.js';
import { ChainHasher } from './hash-chain.js';

export type FsyncMode = 'off' | 'batch' | 'always';

export interface TrailWriterConfig {
  directory: string;
  /** Keyed with AUDIT_HMAC_KEY by default (see `trailWriterConfigFromEnv`); unkeyed SHA-256 if none. */
  hasher?: ChainHasher;
  /** AUDIT_HEAD_FILE; default `<directory>/audit.head.json`. */
  headPath?: string;
  /**
   * AUDIT_FSYNC. `off` (default): a record is in the kernel before its call
   * answers (survives a crash of the process, not of the machine). `always`:
   * fdatasync before the call answers. `batch`: fdatasync at most every
   * `fsyncIntervalMs` (AUDIT_FSYNC_INTERVAL_MS, default 1000), so a machine
   * crash loses at most that window.
   */
  fsync?: FsyncMode;
  fsyncIntervalMs?: number;
  /** AUDIT_MAX_FILE_BYTES: past this size a day continues in `audit_DATE.1.jsonl`, `.2`, …; 0 = no cap. */
  maxFileBytes?: number;
  /** AUDIT_RETENTION_DAYS: gzip files of past days, delete those older than this many days; unset = keep all. */
  retentionDays?: number;
  /** AUDIT_LOCK_STALE_MS: a lock older than this was left by a dead writer and is taken over (min 2000, default 10000). */
  lockStaleMs?: number;
  /** AUDIT_BACKLOG_MAX_BYTES: unwritten records kept in memory to be written late, in JSON length (default 16 MiB). */
  backlogMaxBytes?: number;
  /**
   * AUDIT_SIGNING_KEY_FILE: keeps the trail's Merkle tree and signs checkpoints of it (src/audit/checkpoint/).
   * One per writer: it holds that writer's view of the tree.
   */
  checkpointer?: Checkpointer;
  /** The clock for retention and for the writer's own records; injectable for tests. */
  now?: () => Date;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, not "${raw}"`);
  return value;
}

/** The writer settings from the environment; throws, naming the variable, on a bad value. */
export function trailWriterConfigFromEnv(directory: string, env: NodeJS.ProcessEnv = process.env): TrailWriterConfig {
  const fsync = env['AUDIT_FSYNC'] || 'off';
  if (fsync !== 'off' && fsync !== 'batch' && fsync !== 'always') throw new Error(`AUDIT_FSYNC must be off, batch or always, not "${fsync}"`);
  const config: TrailWriterConfig = { directory, hasher: ChainHasher.fromEnv(env), fsync };
  const optional = {
    fsyncIntervalMs: positiveInteger(env, 'AUDIT_FSYNC_INTERVAL_MS'),
    maxFileBytes: positiveInteger(env, 'AUDIT_MAX_FILE_BYTES'),
    retentionDays: positiveInteger(env, 'AUDIT_RETENTION_DAYS'),
    lockStaleMs: positiveInteger(env, 'AUDIT_LOCK_STALE_MS'),
    backlogMaxBytes: positiveInteger(env, 'AUDIT_BACKLOG_MAX_BYTES'),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(config, { [key]: value });
  if (env['AUDIT_HEAD_FILE']) config.headPath = env['AUDIT_HEAD_FILE'];
  const signing = signingConfigFromEnv(directory, env);
  if (signing) config.checkpointer = new Checkpointer(directory, signing);
  return config;
}
