import { closeSync, fstatSync, lstatSync, readdirSync, readSync } from 'node:fs';
import { openOwnFileForReading, readOwnFile } from './owned-files.js';
import { join } from 'node:path';
import { gunzipSync, constants as zlib } from 'node:zlib';
import { GENESIS, type ChainHasher, type ChainLink } from './hash-chain.js';
import { compareTrailFiles, parseTrailFileName, type TrailFileName } from './trail-file-name.js';
import type { TrailHead } from './trail-head.js';

/** Where the next record goes after: the last link, and the file it ends (size, lines, inode; 0 for none yet). */
export interface TrailPosition {
  link: ChainLink;
  file: string | null;
  offset: number;
  lines: number;
  ino: number;
}

/** What a writer found and repaired when the files did not end where the head said: the content of a `recovery` record. */
export interface RecoveryFindings {
  head?: string;
  /** `after_seq`: the chain's last record before the torn line, which names its place whatever the file is called later. */
  torn_lines?: { file: string; line: number; bytes: number; after_seq: number }[];
  adopted_records?: number;
  foreign_lines?: { file: string; line: number }[];
  moved_file?: { file: string; expected_bytes: number; found_bytes: number | null };
  /** The trail ended at `found_seq` though this writer had written or seen up to `last_seq`: those records are gone. */
  missing_records?: { first_seq: number; last_seq: number; found_seq: number };
  /** A head planted as a link or other impostor, renamed aside so that the writer could write its own (owned-files.ts). */
  impostor_moved?: { path: string; moved_to: string; was: string };
}

export function hasFindings(findings: RecoveryFindings): boolean {
  return Object.keys(findings).length > 0;
}

export function listPlainTrailFiles(directory: string): TrailFileName[] {
  return listAllTrailFiles(directory).filter((file) => !file.compressed);
}

export function listAllTrailFiles(directory: string): TrailFileName[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  return names.flatMap((name) => parseTrailFileName(name) ?? []).sort(compareTrailFiles);
}

function readFrom(path: string, offset: number, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  const fd = openOwnFileForReading(path);
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, Math.min(size - offset, maxBytes)));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** `seq`/`prev_hash`/`hash` of a line whose hash matches its content, or null. */
export function chainedLine(text: string, hasher: ChainHasher): { seq: number; prev_hash: string; hash: string } | null {
  const check = hasher.check(text);
  if (!check || check.stored !== check.computed) return null;
  try {
    const { seq, prev_hash } = JSON.parse(text) as { seq?: unknown; prev_hash?: unknown };
    return typeof seq === 'number' && typeof prev_hash === 'string' ? { seq, prev_hash, hash: check.stored } : null;
  } catch {
    return null;
  }
}

/**
 * Reads `file` from `position.offset` and takes over every complete line that
 * continues the chain (written by a writer that died before replacing the
 * head). The first line that does not is reported: as torn if it is an
 * unterminated tail, else as foreign, together with everything after it.
 * Returns the torn tail's file/line so the caller can close it off.
 */
function scanTail(directory: string, file: string, position: TrailPosition, hasher: ChainHasher, findings: RecoveryFindings): TrailPosition {
  const bytes = readFrom(join(directory, file), position.offset);
  const ino = lstatSync(join(directory, file)).ino;
  let { link, offset, lines } = position;
  let adopting = true;
  let start = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline === -1) {
      (findings.torn_lines ??= []).push({ file, line: lines + 1, bytes: bytes.length - start, after_seq: link.seq });
      // The caller writes the closing newline: the torn piece becomes a line of its own.
      return { link, file, offset: offset + (bytes.length - start), lines: lines + 1, ino };
    }
    const text = bytes.subarray(start, newline).toString('utf8');
    const chained = adopting ? chainedLine(text, hasher) : null;
    if (chained && chained.seq === link.seq + 1 && chained.prev_hash === link.hash) {
      link = { seq: chained.seq, hash: chained.hash };
      findings.adopted_records = (findings.adopted_records ?? 0) + 1;
    } else {
      adopting = false;
      (findings.foreign_lines ??= []).push({ file, line: lines + 1 });
    }
    offset += newline + 1 - start;
    lines += 1;
    start = newline + 1;
  }
  return { link, file, offset, lines, ino };
}

/**
 * Brings the position up to date with the files when they do not end where
 * the head says: bytes after the head's offset (a writer died between its
 * write and its head update, or mid-write), later files it had started, or a
 * file moved away. Runs under the lock.
 */
export function reconcileWithFiles(directory: string, head: TrailHead, hasher: ChainHasher, findings: RecoveryFindings): TrailPosition {
  let position: TrailPosition = { link: head.last, file: head.file, offset: head.offset, lines: head.lines, ino: head.ino };
  if (head.file !== null && head.file !== '') {
    let found: { size: number; ino: number } | null = null;
    try {
      found = lstatSync(join(directory, head.file));
    } catch {
      found = null;
    }
    if (!found || found.ino !== head.ino || found.size < head.offset) {
      findings.moved_file = { file: head.file, expected_bytes: head.offset, found_bytes: found?.size ?? null };
      position = { ...position, offset: 0, lines: 0, ino: found?.ino ?? 0 };
      if (!found) position = { ...position, file: null };
    }
    if (position.file !== null && found && found.size > position.offset) position = scanTail(directory, head.file, position, hasher, findings);
  }
  const current = head.file ? parseTrailFileName(head.file) : null;
  for (const later of listPlainTrailFiles(directory)) {
    if (current && compareTrailFiles(later, current) <= 0) continue;
    position = scanTail(directory, later.name, { ...position, file: later.name, offset: 0, lines: 0 }, hasher, findings);
  }
  return position;
}

/**
 * Without a usable head: the last line whose hash matches its content in the
 * newest plain file that has one becomes the position. Recorded as a
 * recovery, because records cut off the end before this point can no longer
 * be detected.
 */
export function rebuildPosition(directory: string, hasher: ChainHasher, findings: RecoveryFindings): TrailPosition {
  const files = listPlainTrailFiles(directory);
  for (let index = files.length - 1; index >= 0; index--) {
    const name = files[index]!.name;
    const text = readOwnFile(join(directory, name)).toString('utf8');
    const pieces = text.split('\n');
    pieces.pop(); // the unterminated tail, if any, is what scanTail reports as torn
    let found: { link: ChainLink; line: number; offset: number } | null = null;
    let offset = 0;
    pieces.forEach((line, i) => {
      offset += Buffer.byteLength(line) + 1;
      const chained = chainedLine(line, hasher);
      if (chained) found = { link: { seq: chained.seq, hash: chained.hash }, line: i + 1, offset };
    });
    if (!found) continue;
    const { link, line, offset: end } = found as { link: ChainLink; line: number; offset: number };
    const position: TrailPosition = { link, file: name, offset: end, lines: line, ino: lstatSync(join(directory, name)).ino };
    findings.head = `${findings.head ?? 'head unusable'}; rebuilt from ${name} line ${line} (seq ${link.seq})`;
    return scanTail(directory, name, position, hasher, findings);
  }
  if (files.length > 0) findings.head = `${findings.head ?? 'head unusable'}; no chained record found, chain restarts`;
  return { link: GENESIS, file: null, offset: 0, lines: 0, ino: 0 };
}

/** The chain position just before the first record of `file` (plain or gzipped), or genesis if it has none. */
export function linkBefore(directory: string, file: TrailFileName): ChainLink {
  let head = readFrom(join(directory, file.name), 0, 256 * 1024);
  if (file.compressed) head = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH });
  const firstLine = head.toString('utf8').split('\n')[0] ?? '';
  try {
    const { seq, prev_hash } = JSON.parse(firstLine) as { seq?: unknown; prev_hash?: unknown };
    if (typeof seq === 'number' && typeof prev_hash === 'string') return { seq: seq - 1, hash: prev_hash };
  } catch {
    // Not a chained record: fall through.
  }
  return GENESIS;
}
