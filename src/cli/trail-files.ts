import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { compareTrailFiles, parseTrailFileName, type TrailFileName } from '../audit/trail-file-name.js';

/** One file of the trail, with where it is. */
export interface TrailFile extends TrailFileName {
  path: string;
}

/** The trail files in `dir`, oldest first (by date, then part). Other files are ignored. */
export function listTrailFiles(dir: string): TrailFile[] {
  const files: TrailFile[] = [];
  for (const name of readdirSync(dir)) {
    const parsed = parseTrailFileName(name);
    if (parsed) files.push({ ...parsed, path: join(dir, name) });
  }
  return files.sort(compareTrailFiles);
}

export interface TrailLine {
  text: string;
  /** 1-based, as editors and `sed -n` count. */
  lineNumber: number;
  /** False for a last line with no newline: a write cut short (a torn line). */
  terminated: boolean;
}

/** Streams the lines of a plain or gzipped file in constant memory. */
export async function* readTrailLines(file: Pick<TrailFile, 'path' | 'compressed'>): AsyncGenerator<TrailLine> {
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
