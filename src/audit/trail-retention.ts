import { renameSync, readFileSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ChainLink } from './hash-chain.js';
import { compareTrailFiles, parseTrailFileName } from './trail-file-name.js';
import { linkBefore, listAllTrailFiles } from './trail-recovery.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionResult {
  compressed: string[];
  deleted: string[];
  /** The chain position before the oldest file kept, when files were deleted. */
  start: ChainLink | null;
}

/**
 * AUDIT_RETENTION_DAYS: files of days before today (UTC, by `now`) are
 * gzipped; files dated more than `days` days before today are deleted. The
 * current file is never touched, whatever its date. When files are deleted the
 * chain position before the oldest file kept is returned, so the head can
 * carry it and verify can check the remaining trail from there.
 *
 * Runs under the writers' lock, synchronously: gzip of a large day blocks
 * writers (of every process) while it runs.
 */
export function applyRetention(directory: string, currentFile: string, now: Date, days: number): RetentionResult {
  const today = now.toISOString().slice(0, 10);
  const cutoff = new Date(Date.parse(today) - days * DAY_MS).toISOString().slice(0, 10);
  const current = parseTrailFileName(currentFile);
  const result: RetentionResult = { compressed: [], deleted: [], start: null };
  for (const file of listAllTrailFiles(directory)) {
    if (file.name === currentFile || (current && compareTrailFiles(file, current) >= 0)) continue;
    if (file.date < cutoff) {
      unlinkSync(join(directory, file.name));
      result.deleted.push(file.name);
    } else if (!file.compressed && file.date < today) {
      compress(directory, file.name);
      result.compressed.push(file.name);
    }
  }
  if (result.deleted.length > 0) {
    const oldest = listAllTrailFiles(directory)[0];
    if (oldest) result.start = linkBefore(directory, oldest);
  }
  return result;
}

/** Written beside, renamed into place, then the original removed: a crash leaves the plain file or both, never neither. */
function compress(directory: string, name: string): void {
  const plain = join(directory, name);
  const temporary = join(directory, `${name}.gz.tmp`);
  writeFileSync(temporary, gzipSync(readFileSync(plain)), { mode: 0o600 });
  renameSync(temporary, `${plain}.gz`);
  if (existsSync(plain)) unlinkSync(plain);
}
