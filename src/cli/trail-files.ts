import { createReadStream } from 'node:fs';
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

/** Streams the lines of a plain or gzipped file in constant memory; throws for another compression. */
export async function* readTrailLines(file: Pick<TrailFile, 'path' | 'compressed' | 'compression'>): AsyncGenerator<TrailLine> {
  const unreadable = unreadableReason(file);
  if (unreadable) throw new Error(`${file.path}: ${unreadable}`);
  let stream: Readable = createReadStream(file.path);
  if (file.compressed) stream = stream.pipe(createGunzip());
  let carry = '';
  let lineNumber = 0;
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    const pieces = (carry + chunk).split('\n');
    carry = pieces.pop()!;
    for (const text of pieces) yield { text, lineNumber: ++lineNumber, terminated: true };
  }
  if (carry !== '') yield { text: carry, lineNumber: ++lineNumber, terminated: false };
}
