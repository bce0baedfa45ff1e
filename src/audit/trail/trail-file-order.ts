import { closeSync, readdirSync, readSync } from 'node:fs';
import { openOwnFileForReading } from './owned-files.js';
import { join } from 'node:path';
import { gunzipSync, constants as zlib } from 'node:zlib';
import type { ChainLink } from './hash-chain.js';

/**
 * Every file of a trail, whatever renamed or compressed it: the writer's own
 * names (`audit_DATE[.N].jsonl`, `.gz` once retention compressed them) and
 * what logrotate makes of them (`audit_DATE.jsonl.1`, `.jsonl.2.gz`, with
 * `dateext` `audit_DATE.jsonl-20260115[.gz]`, with `extension .jsonl`
 * `audit_DATE-20260115.jsonl`), listed in chain order: a rotated file's name
 * says nothing reliable about where its records sit, its first record does.
 */
export type Compression = 'none' | 'gzip' | 'xz' | 'bzip2' | 'zstd';

export interface AnyTrailFile {
  name: string;
  path: string;
  date: string;
  /** The writer's size-cap part (0 for the unnumbered file). */
  part: number;
  /** From the content's magic bytes, not the name. Only `none` and `gzip` can be read. */
  compression: Compression;
  /** The link just before the file's first record, or null if its first line is not a chained record (empty, unreadable). */
  before: ChainLink | null;
  /** Name order: rotated copies before the live file of the same date and part, oldest rotation first. */
  rotation: { numbered: number } | { dated: string } | null;
}

const ANY_TRAIL_FILE = /^audit_(\d{4}-\d{2}-\d{2})(?:\.(\d+))?(?:-([0-9A-Za-z_-]+))?\.jsonl(?:\.(\d+)|-([0-9A-Za-z_-]+))?(?:\.(?:gz|xz|bz2|zst))?$/;

export function parseAnyTrailFileName(name: string): Pick<AnyTrailFile, 'name' | 'date' | 'part' | 'rotation'> | null {
  const match = ANY_TRAIL_FILE.exec(name);
  if (!match) return null;
  const [, date, part, datedBefore, numbered, datedAfter] = match;
  const dated = datedBefore ?? datedAfter;
  const rotation = numbered !== undefined ? { numbered: Number(numbered) } : dated !== undefined ? { dated } : null;
  return { name, date: date!, part: Number(part ?? 0), rotation };
}

function rotationKey(rotation: AnyTrailFile['rotation']): [number, number, string] {
  if (rotation === null) return [1, 0, ''];
  // logrotate's `.1` is the newest copy, `.2` the one before; dates sort as they read.
  return 'numbered' in rotation ? [0, -rotation.numbered, ''] : [0, 0, rotation.dated];
}

function compareByName(a: AnyTrailFile, b: AnyTrailFile): number {
  const [ar, an, ad] = rotationKey(a.rotation);
  const [br, bn, bd] = rotationKey(b.rotation);
  return a.date.localeCompare(b.date) || a.part - b.part || ar - br || an - bn || ad.localeCompare(bd) || a.name.localeCompare(b.name);
}

/** The trail files of `directory` in chain order: by the seq of their first record, files without one in their name's place. */
export function listTrailFilesInChainOrder(directory: string): AnyTrailFile[] {
  const files = readdirSync(directory)
    .flatMap((name) => {
      const parsed = parseAnyTrailFileName(name);
      if (!parsed) return [];
      const path = join(directory, name);
      const start = readStart(path);
      return [{ ...parsed, path, compression: start.compression, before: start.before }];
    })
    .sort(compareByName);
  const chained = files.filter((file) => file.before !== null).sort((a, b) => a.before!.seq - b.before!.seq);
  let next = 0;
  return files.map((file) => (file.before === null ? file : chained[next++]!));
}

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The link just before the first record of the file at `path` (plain or gzipped), or null. */
export function firstLinkOf(path: string): ChainLink | null {
  return readStart(path).before;
}

/** Reads the start of a file, no more than its first line needs: its compression, and the link before its first record. */
function readStart(path: string): { compression: Compression; before: ChainLink | null } {
  let fd: number;
  try {
    fd = openOwnFileForReading(path);
  } catch {
    return { compression: 'none', before: null };
  }
  try {
    let compression: Compression = 'none';
    // A first line is a few KB; read more only while none ends in what was read (1 MiB at most).
    for (let size = 16 * 1024; size <= 1024 * 1024; size *= 4) {
      const buffer = Buffer.alloc(size);
      const read = readSync(fd, buffer, 0, size, 0);
      let bytes = buffer.subarray(0, read);
      compression = MAGIC.find(([, magic]) => magic.every((byte, i) => bytes[i] === byte))?.[0] ?? 'none';
      if (compression === 'gzip') {
        try {
          // Capped: a planted gzip bomb of 1 MB would otherwise inflate to gigabytes here, for a first line.
          bytes = gunzipSync(bytes, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 16 * 1024 * 1024 });
        } catch {
          return { compression, before: null }; // damaged: reading it whole says where
        }
      } else if (compression !== 'none') return { compression, before: null };
      const newline = bytes.indexOf(0x0a);
      if (newline !== -1 || read < size)
        return { compression, before: linkBeforeLine(bytes.subarray(0, newline === -1 ? bytes.length : newline).toString('utf8')) };
    }
    return { compression, before: null };
  } finally {
    closeSync(fd);
  }
}

function linkBeforeLine(line: string): ChainLink | null {
  try {
    const { seq, prev_hash } = JSON.parse(line) as { seq?: unknown; prev_hash?: unknown };
    return typeof seq === 'number' && typeof prev_hash === 'string' ? { seq: seq - 1, hash: prev_hash } : null;
  } catch {
    return null;
  }
}
