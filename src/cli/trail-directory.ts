import { readdirSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { CHECKPOINT_DIR } from '../audit/checkpoint/checkpoint-files.js';
import { parseAnyTrailFileName } from '../audit/trail/trail-file-order.js';
import { CannotRunError, UsageError } from './command.js';

/**
 * The one place that knows where a command finds the trail: the positional DIR, else --dir, else
 * $AUDIT_LOG_DIR, else ./logs. Either separator is accepted, so `logs\2026` typed on Windows and
 * `logs/2026` both work.
 */
export interface TrailDirectory {
  path: string;
  /** Where the path came from, for the message when nothing is there. */
  from: 'DIR' | '--dir' | 'AUDIT_LOG_DIR' | 'default';
}

export function chooseTrailDirectory(
  positional: string | undefined,
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): TrailDirectory {
  if (positional !== undefined && option !== undefined)
    throw new UsageError('the trail directory is given twice (as DIR and as --dir): give it once');
  const [raw, from]: [string, TrailDirectory['from']] =
    positional !== undefined
      ? [positional, 'DIR']
      : option !== undefined
        ? [option, '--dir']
        : env['AUDIT_LOG_DIR']
          ? [env['AUDIT_LOG_DIR'], 'AUDIT_LOG_DIR']
          : ['logs', 'default'];
  return { path: resolve(raw.replace(/[\\/]+/g, sep)), from };
}

const SOURCE = {
  DIR: 'given as DIR',
  '--dir': 'given as --dir',
  AUDIT_LOG_DIR: 'from $AUDIT_LOG_DIR',
  default: 'the default ./logs, as neither DIR, --dir nor $AUDIT_LOG_DIR is set',
} as const;

const HINT = 'give the trail directory as DIR or --dir DIR, or set AUDIT_LOG_DIR';

/** The writer's footprint: a trail file (any rotated or compressed name), its head file or its checkpoints. */
function holdsTrail(names: string[]): boolean {
  return names.some((name) => name === 'audit.head.json' || name === CHECKPOINT_DIR || parseAnyTrailFileName(name) !== null);
}

/**
 * Throws a CannotRunError saying where it looked and how to look elsewhere when the directory is missing,
 * or (unless `mayBeEmpty`) holds nothing the writer writes: a wrong path must not read as "0 records".
 */
export function requireTrail(dir: TrailDirectory, mayBeEmpty = false): void {
  let names: string[];
  try {
    names = readdirSync(dir.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot be read (${code ?? String(error)})`;
    throw new CannotRunError(`trail directory ${dir.path} (${SOURCE[dir.from]}): ${what}; ${HINT}`);
  }
  if (!mayBeEmpty && !holdsTrail(names)) {
    throw new CannotRunError(`trail directory ${dir.path} (${SOURCE[dir.from]}) holds no audit trail (no audit_*.jsonl file); ${HINT}`);
  }
}
