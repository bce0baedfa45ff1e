import { closeSync, constants, writeSync } from 'node:fs';
import { openOwnFileForWriting, readOwnFile } from '../trail/owned-files.js';
import { CompactRange } from './compact-range.js';

/**
 * What the writers share about the tree, in two files of the log directory:
 * - `audit.tree.json`: the tree as of the end of a line (`file`, `offset`) — its compact range — and the largest
 *   size any writer signed. Rewritten in place (one pwrite at offset 0, padded to 4096 bytes, as the head is: no
 *   rename, which made ext4 flush). It may lag: a writer that finds it behind reads the missing lines from the
 *   files. A torn one (machine crash) is ignored the same way.
 * - `audit.tree-starts.jsonl`: one line per trail file, the compact range before its first line. Append-only and
 *   never pruned (a few KB a day): when retention deletes old files, it is what lets the verifier, and a writer
 *   whose state is gone, compute later roots without the deleted lines.
 */
export interface TreePosition {
  /** A trail file name, without `.gz`. */
  file: string;
  /** The end of the last line in the tree. */
  offset: number;
}

export interface SavedTree {
  position: TreePosition;
  range: CompactRange;
  signed: number;
}

export const TREE_STATE_FILE = 'audit.tree.json';
export const FILE_STARTS_FILE = 'audit.tree-starts.jsonl';
const STATE_BYTES = 4096;

export function loadTreeState(path: string): SavedTree | null {
  try {
    const value = JSON.parse(readOwnFile(path).toString('utf8')) as { file?: unknown; offset?: unknown; range?: unknown; signed?: unknown };
    if (typeof value.file !== 'string' || !Number.isSafeInteger(value.offset) || !Number.isSafeInteger(value.signed)) return null;
    return { position: { file: value.file, offset: value.offset as number }, range: CompactRange.fromJSON(value.range), signed: value.signed as number };
  } catch {
    return null;
  }
}

export function saveTreeState(path: string, tree: SavedTree): void {
  const json = JSON.stringify({ version: 1, ...tree.position, range: tree.range, signed: tree.signed });
  const buffer = Buffer.alloc(STATE_BYTES, 0x20);
  buffer.write(json);
  buffer[STATE_BYTES - 1] = 0x0a;
  const fd = openOwnFileForWriting(path, constants.O_CREAT, null);
  try {
    writeSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
}

/** The compact range before each file's first line, by file name; the first entry for a file wins. */
export function loadFileStarts(path: string): Map<string, CompactRange> {
  const starts = new Map<string, CompactRange>();
  let text: string;
  try {
    text = readOwnFile(path).toString('utf8');
  } catch {
    return starts;
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { file?: unknown; range?: unknown };
      if (typeof entry.file === 'string' && !starts.has(entry.file)) starts.set(entry.file, CompactRange.fromJSON(entry.range));
    } catch {
      // A torn last line (a crash mid-append): the entry is written again when needed.
    }
  }
  return starts;
}

export function appendFileStart(path: string, file: string, range: CompactRange): void {
  // Led by a newline, so that an entry torn by a crash cannot swallow the next one.
  const fd = openOwnFileForWriting(path, constants.O_APPEND | constants.O_CREAT, null);
  try {
    writeSync(fd, `\n${JSON.stringify({ file, range })}\n`);
  } finally {
    closeSync(fd);
  }
}
