import { join } from 'node:path';
import type { OnTightened } from '../trail/owned-files.js';
import { firstLinkOf, type AnyTrailFile } from '../trail/trail-file-order.js';
import { CompactRange } from './compact-range.js';
import { feedFileSync, LineSplitter, sameLink, treeFilesIn } from './trail-lines.js';
import { appendFileStart, FILE_STARTS_FILE, loadFileStarts, loadTreeState, saveTreeState, TREE_STATE_FILE, type TreePosition } from './tree-state.js';

/** How often, at most, a writer holding the lock rewrites the shared tree state: the head's period. */
const SAVE_EVERY_MS = 20;

/**
 * The writer's side of the trail's Merkle tree: extended under the lock with the lines just written, so one tree
 * covers the trail whatever the number of processes. When the lines just written do not start where this
 * process's tree ends (another process wrote meanwhile, a torn line was closed off, records were adopted after a
 * crash, the file renamed by logrotate and a new one started), it first catches up: from the shared state if that
 * is further along, then by reading the lines in between from the files, in chain order.
 */
export class TrailTree {
  range = new CompactRange();
  /** Where the tree ends in the files; null until first loaded. */
  position: TreePosition | null = null;
  /** The largest size a writer signed, as far as this process knows. */
  signed = 0;
  private readonly splitter = new LineSplitter((leaf) => this.range.append(leaf));
  private savedAt = 0;

  private readonly statePath: string;
  private readonly startsPath: string;

  /** The writer's report of a file of the tree whose loose mode was tightened; set once it attaches. */
  onTightened: OnTightened | null = null;

  constructor(private readonly directory: string) {
    this.statePath = join(directory, TREE_STATE_FILE);
    this.startsPath = join(directory, FILE_STARTS_FILE);
  }

  /** Under the lock: `bytes`, whole lines, were just written to `file` at `offset`. */
  extend(file: string, offset: number, bytes: Buffer): void {
    if (this.position?.file !== file || this.position.offset !== offset) this.catchUp(file, offset);
    this.splitter.feed(bytes);
    this.position = { ...this.position!, offset: offset + bytes.length - this.splitter.pending };
  }

  /** Under the lock: shares the tree with the other writers, at most every 20 ms unless `now`. */
  save(now: boolean): void {
    if (!this.position || (!now && Date.now() - this.savedAt < SAVE_EVERY_MS)) return;
    saveTreeState(this.statePath, { position: this.position, range: this.range, signed: this.signed }, this.onTightened);
    this.savedAt = Date.now();
  }

  private catchUp(target: string, targetOffset: number): void {
    const saved = loadTreeState(this.statePath);
    if (saved && (!this.position || saved.range.size > this.range.size)) {
      this.range = saved.range;
      this.position = saved.position;
    }
    if (saved) this.signed = Math.max(this.signed, saved.signed);
    this.splitter.endFile();
    if (this.position && this.stillIn(target, targetOffset)) {
      // The usual case (another process wrote to the same file meanwhile): no need to read every file's head.
      feedFileSync({ path: join(this.directory, target), compression: 'none' }, this.position.offset, targetOffset, this.splitter);
      this.position = { ...this.position, offset: targetOffset - this.splitter.pending };
      return;
    }
    const files = treeFilesIn(this.directory);
    const to = files.findIndex((file) => file.name === target);
    if (to < 0) throw new Error(`${target}, just written, is not among the trail's files`);
    if (!this.position) {
      // No tree yet: it starts at the oldest file kept (after the lines retention deleted, if a start was noted).
      const first = files[0]!;
      this.range = loadFileStarts(this.startsPath).get(first)?.clone() ?? new CompactRange();
      this.position = { file: first.name, offset: 0, first: first.before };
    }
    const from = findTreeEnd(files, this.position);
    const end = `${this.position.file}:${this.position.offset}`;
    if (from < 0) throw new Error(`the tree ends in ${end}, a file that is gone: the lines after it cannot be added`);
    if (from > to || (from === to && this.position.offset > targetOffset)) {
      throw new Error(`the tree ends at ${end}, past the trail's end at ${target}:${targetOffset} (a file was replaced or truncated?)`);
    }
    for (let index = from; index <= to; index++) {
      const file = files[index]!;
      if (index !== from) this.noteStart(file);
      feedFileSync(file, index === from ? this.position.offset : 0, index === to ? targetOffset : null, this.splitter);
      if (index !== to) this.splitter.endFile();
    }
    this.position = { file: target, offset: targetOffset - this.splitter.pending, first: files[to]!.before };
  }

  /** Whether the tree ends before `offset` in the very file now named `target` (same first record: not rotated). */
  private stillIn(target: string, offset: number): boolean {
    const { file, offset: end, first } = this.position!;
    return file === target && end <= offset && first !== null && sameLink(firstLinkOf(join(this.directory, target)), first);
  }

  /** Before the first line of `file`: the compact range there, once per file. */
  private noteStart(file: AnyTrailFile): void {
    if (loadFileStarts(this.startsPath).get(file)) return;
    appendFileStart(this.startsPath, file, this.range, this.onTightened);
  }
}

/**
 * The index in `files` of the file the tree ends in: the one starting at the same chain link, wherever logrotate
 * moved it; by name only if that file's first line is no record. -1 if it is gone.
 */
function findTreeEnd(files: AnyTrailFile[], position: TreePosition): number {
  if (position.first) return files.findIndex((file) => sameLink(file.before, position.first));
  return files.findIndex((file) => file.name.replace(/\.gz$/, '') === position.file);
}
