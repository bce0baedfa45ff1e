import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** One file of the trail: `audit_2026-01-15.jsonl`, optionally a numbered part (`.1`) and gzipped. */
export interface TrailFile {
  path: string;
  name: string;
  date: string;
  part: number;
  compressed: boolean;
}

const TRAIL_FILE_NAME = /^audit_(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl(\.gz)?$/;

/** The trail files in `dir`, oldest first (by date, then part). Other files are ignored. */
export function listTrailFiles(dir: string): TrailFile[] {
  const files: TrailFile[] = [];
  for (const name of readdirSync(dir)) {
    const match = TRAIL_FILE_NAME.exec(name);
    if (!match) continue;
    files.push({ path: join(dir, name), name, date: match[1]!, part: Number(match[2] ?? 0), compressed: match[3] !== undefined });
  }
  return files.sort((a, b) => a.date.localeCompare(b.date) || a.part - b.part);
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
