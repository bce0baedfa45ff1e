import { createReadStream, readSync, type ReadStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { treeFilesIn } from '../audit/checkpoint/trail-lines.js';
import type { AnyTrailFile } from '../audit/trail/trail-file-order.js';
import { openOwnFileForReading } from '../audit/trail/owned-files.js';

/** One file of the trail, with where it is and its compression (the CLI reads plain and gzip). */
export type TrailFile = AnyTrailFile;

/**
 * The trail files in `dir` in chain order, rotated ones (logrotate's `.1`, `.2.gz`, dateext) included, whatever
 * their compression; a file present twice, gzipped beside the plain one (retention or logrotate caught mid-way,
 * which a crash can leave), counts once, plain, as it does in the tree. Other files are ignored.
 */
export function listTrailFiles(dir: string): TrailFile[] {
  return treeFilesIn(dir);
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
 * Streams the lines of a plain or gzipped file in constant memory; throws for another compression,
 * and for a file that is not a regular file (a planted link or FIFO, opened as the writer opens its own).
 * A plain file that ends without a newline is read again from where the
 * stream stopped: if the line in progress is completed meanwhile, it comes
 * back whole (and what was written after it is left to the next read).
 */
export async function* readTrailLines(file: Pick<TrailFile, 'path' | 'compression'>): AsyncGenerator<TrailLine> {
  // Not closed at the end of the stream: a last line being written is read again from the same descriptor.
  const { fd, source, stream } = openTrailFile(file, { autoClose: false });
  try {
    // Split on the newline byte, which no UTF-8 sequence contains, and decode whole lines only. The start of a
    // line is kept as chunks until its end comes, so a line of many chunks is joined once, not once per chunk.
    let carry: Buffer[] = [];
    let lineNumber = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        const line = carry.length === 0 ? chunk.subarray(start, end) : Buffer.concat([...carry, chunk.subarray(start, end)]);
        carry = [];
        yield { text: line.toString('utf8'), lineNumber: ++lineNumber, terminated: true };
        start = end + 1;
      }
      if (start < chunk.length) carry.push(chunk.subarray(start));
    }
    if (carry.length === 0) return;
    const rest = file.compression === 'gzip' ? null : await completedLastLine(fd, source.bytesRead);
    if (rest) carry.push(rest);
    yield { text: Buffer.concat(carry).toString('utf8'), lineNumber: ++lineNumber, terminated: rest !== null };
  } finally {
    // Destroying the stream closes the descriptor, once a read still in flight (a loop left early) is done.
    stream.destroy();
    source.destroy();
    if (!source.closed) await once(source, 'close');
  }
}

const NEWLINE = 0x0a;

/**
 * A trail file's bytes, gunzipped if need be, opened as the writer opens its own files: a planted link is not
 * followed, a planted FIFO not waited on. Throws for those, and for a compression other than gzip.
 */
export function openTrailFile(
  file: Pick<TrailFile, 'path' | 'compression'>,
  options: { autoClose?: boolean; highWaterMark?: number } = {},
): { fd: number; source: ReadStream; stream: Readable } {
  const unreadable = unreadableReason(file);
  if (unreadable) throw new Error(`${file.path}: ${unreadable}`);
  const fd = openOwnFileForReading(file.path);
  const source = createReadStream(file.path, { ...options, fd });
  // pipeline, not pipe: an error of the file's stream ends the gunzip's with it instead of going unhandled.
  const stream: Readable = file.compression === 'gzip' ? pipeline(source, createGunzip(), () => {}) : source;
  return { fd, source, stream };
}

/** The rest of a line being written at `position`, up to its newline, once it has one; null if it gets none. */
async function completedLastLine(fd: number, position: number): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (let check = 0; check < TAIL_RECHECKS; check++) {
    await new Promise((resolve) => setTimeout(resolve, TAIL_RECHECK_MS));
    for (let read = readSync(fd, buffer, 0, buffer.length, position); read > 0; read = readSync(fd, buffer, 0, buffer.length, position)) {
      position += read;
      const end = buffer.subarray(0, read).indexOf(NEWLINE);
      if (end !== -1) return Buffer.concat([...parts, buffer.subarray(0, end)]);
      parts.push(Buffer.from(buffer.subarray(0, read)));
    }
  }
  return null;
}
