import { closeSync, constants, existsSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ChainLink } from './hash-chain.js';
import { compareTrailFiles, parseTrailFileName } from './trail-file-name.js';
import { listTrailFilesInChainOrder, type AnyTrailFile } from './trail-file-order.js';
import { openOwnFileForWriting, readOwnFile } from './owned-files.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A file retention deletes, with the seq range of its records (null when it has none that can be read). */
export interface RetiredFile {
  file: string;
  first_seq: number | null;
  last_seq: number | null;
}

/** What one retention run does; the `retention` record says it in the trail before any file is deleted. */
export interface RetentionPlan {
  compress: string[];
  retire: RetiredFile[];
  /** The start anchor before the run, and after it: moved only over retired records that continue the chain from it. */
  start_before: ChainLink;
  start: ChainLink;
}

/**
 * AUDIT_RETENTION_DAYS: the writer's own files of days before today (UTC, by
 * `now`) are gzipped (rotated copies are left to logrotate's own `compress`);
 * files dated more than `days` days before today, rotated ones included, are
 * retired. The current file is never touched, whatever its date.
 *
 * The anchor moves only past what this run retires itself: over retired
 * files, in chain order, as long as each begins where the anchor is. A file
 * missing in between (deleted by something else) stops it there for good, so
 * `verify` keeps reporting that gap rather than seeing it hidden.
 */
export function planRetention(directory: string, currentFile: string, now: Date, days: number, start: ChainLink): RetentionPlan {
  const today = now.toISOString().slice(0, 10);
  const cutoff = new Date(Date.parse(today) - days * DAY_MS).toISOString().slice(0, 10);
  const current = parseTrailFileName(currentFile);
  const plan: RetentionPlan = { compress: [], retire: [], start_before: start, start };
  let moving = true;
  for (const file of listTrailFilesInChainOrder(directory)) {
    if (file.name === currentFile) continue;
    const own = parseTrailFileName(file.name);
    if (file.date < cutoff) {
      const last = file.before ? lastLink(file) : null;
      plan.retire.push({ file: file.name, first_seq: file.before && last ? file.before.seq + 1 : null, last_seq: last?.seq ?? null });
      // Records already behind the anchor (or none) neither move nor stop it.
      if (!file.before || !last || last.seq <= plan.start.seq) continue;
      if (moving && file.before.seq === plan.start.seq && file.before.hash === plan.start.hash) plan.start = last;
      else moving = false;
    } else if (own && !own.compressed && file.date < today && !(current && compareTrailFiles(own, current) >= 0)) {
      plan.compress.push(file.name);
    }
  }
  return plan;
}

/** Deletes the retired files; returns how far the anchor may move: up to the first file that could not be deleted. */
export function retireFiles(directory: string, plan: RetentionPlan): ChainLink {
  for (const retired of plan.retire) {
    try {
      unlinkSync(join(directory, retired.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      process.stderr.write(`audit: retention could not delete ${retired.file}: ${(error as Error).message}; the trail's start stays where it was\n`);
      return plan.start_before;
    }
  }
  return plan.start;
}

export function compressFiles(directory: string, plan: RetentionPlan): void {
  for (const name of plan.compress) compress(directory, name);
}

/** The link of the file's last chained record (the whole file is read: retention runs under the lock, and says so). */
function lastLink(file: AnyTrailFile): ChainLink | null {
  let bytes = readOwnFile(file.path);
  if (file.compression === 'gzip') bytes = gunzipSync(bytes);
  else if (file.compression !== 'none') return null;
  const lines = bytes.toString('utf8').split('\n');
  for (let index = lines.length - 1; index >= 0; index--) {
    try {
      const { seq, hash } = JSON.parse(lines[index]!) as { seq?: unknown; hash?: unknown };
      if (typeof seq === 'number' && typeof hash === 'string') return { seq, hash };
    } catch {
      // A torn or foreign line: look further back.
    }
  }
  return null;
}

/** Written beside, renamed into place, then the original removed: a crash leaves the plain file or both, never neither. */
function compress(directory: string, name: string): void {
  const plain = join(directory, name);
  const temporary = join(directory, `${name}.gz.tmp`);
  const compressed = gzipSync(readOwnFile(plain));
  // A leftover of a crash, or a name planted to be written through: removed (the name only), then made anew.
  rmSync(temporary, { force: true });
  const fd = openOwnFileForWriting(temporary, constants.O_CREAT | constants.O_EXCL, null);
  try {
    for (let written = 0; written < compressed.length; ) written += writeSync(fd, compressed, written);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, `${plain}.gz`);
  if (existsSync(plain)) unlinkSync(plain);
}
