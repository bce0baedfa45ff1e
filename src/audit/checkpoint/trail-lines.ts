import { closeSync, existsSync, readdirSync, readSync } from 'node:fs';
import { openOwnFileForReading, readOwnFile } from '../trail/owned-files.js';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compareTrailFiles, parseTrailFileName, type TrailFileName } from '../trail/trail-file-name.js';
import { leafHash, type Hash } from './merkle-tree.js';

/**
 * The leaves of the trail's tree: every newline-terminated line of every trail file, in file order (date, then
 * part), each the line's bytes without its newline. An unterminated last line (a write cut short) is not a leaf
 * until a writer closes it off with a newline. Writer and verifier both read the trail through this file, so
 * they cannot disagree on what a leaf is.
 */

/** The trail files of `dir` in order; a file present both plain and gzipped (retention mid-way) counts once, plain. */
export function trailFilesIn(dir: string): TrailFileName[] {
  const byName = new Map<string, TrailFileName>();
  for (const name of readdirSync(dir)) {
    const parsed = parseTrailFileName(name);
    if (!parsed) continue;
    const plain = name.replace(/\.gz$/, '');
    if (!byName.has(plain) || !parsed.compressed) byName.set(plain, parsed);
  }
  return [...byName.values()].sort(compareTrailFiles);
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
 * Feeds `name` (plain, or gzipped by retention since) from byte `from` up to `to` (the end if null) into `splitter`,
 * synchronously: the writer catches up under the lock. Throws if the file is gone.
 */
export function feedFileSync(dir: string, name: string, from: number, to: number | null, splitter: LineSplitter): void {
  const plain = join(dir, name.replace(/\.gz$/, ''));
  if (!existsSync(plain)) {
    const data = readOwnFile(`${plain}.gz`);
    const text = gunzipSync(data);
    splitter.feed(text.subarray(from, to ?? text.length));
    return;
  }
  const fd = openOwnFileForReading(plain);
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
