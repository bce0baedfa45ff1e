import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { listTrailFilesInChainOrder, type AnyTrailFile } from '../audit/trail/trail-file-order.js';

/** One file of the trail, with where it is; `compressed`: gzipped (the one compression the CLI reads). */
export interface TrailFile extends AnyTrailFile {
  compressed: boolean;
}

/**
 * The trail files in `dir` in chain order, rotated ones (logrotate's `.1`, `.2.gz`, dateext) included, whatever
 * their compression. Other files are ignored.
 */
export function listTrailFiles(dir: string): TrailFile[] {
  return listTrailFilesInChainOrder(dir).map((file) => ({ ...file, compressed: file.compression === 'gzip' }));
}

/** Why a file cannot be read (a compression other than gzip), or null. */
export function unreadableReason(file: Pick<AnyTrailFile, 'compression'>): string | null {
  return file.compression === 'none' || file.compression === 'gzip'
    ? null
    : `compressed with ${file.compression}: only plain and gzip files can be read (logrotate's default compresscmd is gzip)`;
}

export interface TrailLine {
  text: string;
  /** 1-based, as editors and `sed -n` count. */
  lineNumber: number;
  /** False for a last line with no newline: a write cut short (a torn line). */
  terminated: boolean;
}

/**
 * How long a read waits for an unterminated last line to be completed: a
 * reader can catch a live writer's write(2) part way (the kernel copies it
 * page by page), which ends within microseconds; a line a crash cut short
 * never does.
 */
const TAIL_RECHECKS = 5;
const TAIL_RECHECK_MS = 20;

/**
 * Streams the lines of a plain or gzipped file in constant memory; throws for another compression.
 * A plain file that ends without a newline is read again from where the
 * stream stopped: if the line in progress is completed meanwhile, it comes
 * back whole (and what was written after it is left to the next read).
 */
export async function* readTrailLines(file: Pick<TrailFile, 'path' | 'compressed' | 'compression'>): AsyncGenerator<TrailLine> {
  const unreadable = unreadableReason(file);
  if (unreadable) throw new Error(`${file.path}: ${unreadable}`);
  const source = createReadStream(file.path);
  const stream: Readable = file.compressed ? source.pipe(createGunzip()) : source;
  // Split on the newline byte, which no UTF-8 sequence contains, and decode whole lines only.
  let carry: Buffer = Buffer.alloc(0);
  let lineNumber = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const bytes = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
      yield { text: bytes.toString('utf8', start, end), lineNumber: ++lineNumber, terminated: true };
      start = end + 1;
    }
    carry = bytes.subarray(start);
  }
  if (carry.length === 0) return;
  const rest = file.compressed ? null : await completedLastLine(file.path, source.bytesRead);
  if (rest) carry = Buffer.concat([carry, rest]);
  yield { text: carry.toString('utf8'), lineNumber: ++lineNumber, terminated: rest !== null };
}

const NEWLINE = 0x0a;

/** The rest of a line being written at `position`, up to its newline, once it has one; null if it gets none. */
async function completedLastLine(path: string, position: number): Promise<Buffer | null> {
  const handle = await open(path, 'r');
  try {
    const parts: Buffer[] = [];
    for (let check = 0; check < TAIL_RECHECKS; check++) {
      await new Promise((resolve) => setTimeout(resolve, TAIL_RECHECK_MS));
      const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(64 * 1024), position });
      const read = buffer.subarray(0, bytesRead);
      position += bytesRead;
      const end = read.indexOf(NEWLINE);
      if (end !== -1) return Buffer.concat([...parts, read.subarray(0, end)]);
      parts.push(read);
    }
    return null;
  } finally {
    await handle.close();
  }
}
