import { closeSync, constants, writeSync } from 'node:fs';
import type { ChainLink } from '../trail/hash-chain.js';
import { openOwnFileForWriting, readOwnFile, type OnTightened } from '../trail/owned-files.js';
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
 * A file is known by the chain link before its first record (`first`), not by its name alone: logrotate renames a
 * file (`.1`, `-DATE`), compresses it, and the writer then starts a new file under the old name.
 */
export interface TreePosition {
  /** The trail file's name when the tree reached it (the writer's own name, without `.gz`). */
  file: string;
  /** The end of the last line in the tree. */
  offset: number;
  /** The link before the file's first record, which survives a rename; null if its first line is not a record. */
  first: ChainLink | null;
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
    const value = JSON.parse(readOwnFile(path).toString('utf8')) as {
      file?: unknown;
      offset?: unknown;
      first?: unknown;
      range?: unknown;
      signed?: unknown;
    };
    if (typeof value.file !== 'string' || !Number.isSafeInteger(value.offset) || !Number.isSafeInteger(value.signed)) return null;
    const position = { file: value.file, offset: value.offset as number, first: chainLink(value.first) };
    return { position, range: CompactRange.fromJSON(value.range), signed: value.signed as number };
  } catch {
    return null;
  }
}

export function saveTreeState(path: string, tree: SavedTree, onTightened: OnTightened | null = null): void {
  const json = JSON.stringify({ version: 1, ...tree.position, range: tree.range, signed: tree.signed });
  const buffer = Buffer.alloc(STATE_BYTES, 0x20);
  buffer.write(json);
  buffer[STATE_BYTES - 1] = 0x0a;
  const fd = openOwnFileForWriting(path, constants.O_CREAT, onTightened);
  try {
    writeSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
}

/** A chain link read back from JSON, or null (a state written before links were recorded, or no record first). */
function chainLink(value: unknown): ChainLink | null {
  const { seq, hash } = (value ?? {}) as { seq?: unknown; hash?: unknown };
  return Number.isSafeInteger(seq) && typeof hash === 'string' ? { seq: seq as number, hash } : null;
}

/** A trail file as the starts know it: its name and the link before its first record. */
export interface StartedFile {
  name: string;
  before: ChainLink | null;
}

/**
 * The compact range before each file's first line: by the link before its first record, or, for a file whose
 * first line is no record (and for entries written before links were recorded), by its writer name.
 */
export class FileStarts {
  private readonly byLink = new Map<string, CompactRange>();
  private readonly byName = new Map<string, CompactRange>();

  add(file: string, first: ChainLink | null, range: CompactRange): void {
    const [map, key] = first ? [this.byLink, linkKey(first)] : [this.byName, file];
    // The first entry wins: a later one is a writer noting the same start again after a crash.
    if (!map.has(key)) map.set(key, range);
  }

  get(file: StartedFile): CompactRange | undefined {
    return (file.before && this.byLink.get(linkKey(file.before))) || this.byName.get(file.name.replace(/\.gz$/, ''));
  }
}

function linkKey(link: ChainLink): string {
  return `${link.seq}:${link.hash}`;
}

export function loadFileStarts(path: string): FileStarts {
  const starts = new FileStarts();
  let text: string;
  try {
    text = readOwnFile(path).toString('utf8');
  } catch {
    return starts;
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { file?: unknown; first?: unknown; range?: unknown };
      if (typeof entry.file === 'string') starts.add(entry.file, chainLink(entry.first), CompactRange.fromJSON(entry.range));
    } catch {
      // A torn last line (a crash mid-append): the entry is written again when needed.
    }
  }
  return starts;
}

export function appendFileStart(path: string, file: StartedFile, range: CompactRange, onTightened: OnTightened | null = null): void {
  // Led by a newline, so that an entry torn by a crash cannot swallow the next one.
  const fd = openOwnFileForWriting(path, constants.O_APPEND | constants.O_CREAT, onTightened);
  try {
    writeSync(fd, `\n${JSON.stringify({ file: file.name, first: file.before, range })}\n`);
  } finally {
    closeSync(fd);
  }
}
