import { closeSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { listTrailFilesInChainOrder, type AnyTrailFile } from '../trail/trail-file-order.js';
import type { ChainLink } from '../trail/hash-chain.js';
import { openOwnFileForReading, readOwnFile } from '../trail/owned-files.js';
import { leafHash, type Hash } from './merkle-tree.js';

/**
 * The leaves of the trail's tree: every newline-terminated line of every trail file, in chain order (the order
 * `verify` reads them in: by the seq of each file's first record, so a file logrotate renamed to `.1`, `-DATE` or
 * compressed keeps its place), each the line's bytes without its newline. An unterminated last line (a write cut
 * short) is not a leaf until a writer closes it off with a newline. Writer and verifier both read the trail
 * through this file, so they cannot disagree on what a leaf is.
 */

/**
 * The trail files of `dir` in chain order, any name the project reads (the writer's, logrotate's); a file present
 * twice with the same first record (gzipped beside the plain one, by retention or logrotate, mid-way) counts once,
 * plain.
 */
export function treeFilesIn(dir: string): AnyTrailFile[] {
  const files = listTrailFilesInChainOrder(dir);
  const plain = new Set(files.filter((file) => file.compression === 'none').map((file) => file.name));
  return files.filter((file, index) => {
    if (file.compression === 'none') return true;
    if (plain.has(file.name.replace(/\.(gz|xz|bz2|zst)$/, ''))) return false;
    return !files.some((other, at) => other.compression === 'none' && at !== index && sameLink(other.before, file.before));
  });
}

/** Whether two files start at the same chain link (both known). */
export function sameLink(a: ChainLink | null, b: ChainLink | null): boolean {
  return a !== null && b !== null && a.seq === b.seq && a.hash === b.hash;
}

/** Splits chunks into lines and hashes each complete one; keeps the unterminated rest for the next chunk. */
export class LineSplitter {
  private carry: Buffer[] = [];

  constructor(private readonly onLeaf: (leaf: Hash, line: Buffer) => void) {}

  feed(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
      let line = chunk.subarray(start, end);
      if (this.carry.length > 0) {
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
      }
      this.onLeaf(leafHash(line), line);
      start = end + 1;
    }
    // Copied: the caller may reuse the chunk's memory.
    if (start < chunk.length) this.carry.push(Buffer.from(chunk.subarray(start)));
  }

  /** Bytes of an unterminated line held so far. */
  get pending(): number {
    return this.carry.reduce((sum, piece) => sum + piece.length, 0);
  }

  /** The end of a file: an unterminated last line is not a leaf. */
  endFile(): void {
    this.carry = [];
  }
}

/**
 * Feeds `file` (plain or gzipped, by its content) from byte `from` up to `to` (the end if null) into `splitter`,
 * synchronously: the writer catches up under the lock. Throws if the file is gone or compressed otherwise.
 */
export function feedFileSync(file: Pick<AnyTrailFile, 'path' | 'compression'>, from: number, to: number | null, splitter: LineSplitter): void {
  if (file.compression === 'gzip') {
    const text = gunzipSync(readOwnFile(file.path));
    splitter.feed(text.subarray(from, to ?? text.length));
    return;
  }
  if (file.compression !== 'none') throw new Error(`${file.path} is compressed with ${file.compression}: only plain and gzip files can be read`);
  const fd = openOwnFileForReading(file.path);
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let position = from; to === null || position < to; ) {
      const wanted = to === null ? buffer.length : Math.min(buffer.length, to - position);
      const read = readSync(fd, buffer, 0, wanted, position);
      if (read === 0) break;
      splitter.feed(buffer.subarray(0, read));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}
