import { join } from 'node:path';
import { parseTrailFileName, compareTrailFiles } from '../trail/trail-file-name.js';
import { CompactRange } from './compact-range.js';
import { feedFileSync, LineSplitter, trailFilesIn } from './trail-lines.js';
import { appendFileStart, FILE_STARTS_FILE, loadFileStarts, loadTreeState, saveTreeState, TREE_STATE_FILE, type TreePosition } from './tree-state.js';

/** How often, at most, a writer holding the lock rewrites the shared tree state: the head's period. */
const SAVE_EVERY_MS = 20;

/**
 * The writer's side of the trail's Merkle tree: extended under the lock with the lines just written, so one tree
 * covers the trail whatever the number of processes. When the lines just written do not start where this
 * process's tree ends (another process wrote meanwhile, a torn line was closed off, records were adopted after a
 * crash), it first catches up: from the shared state if that is further along, then by reading the lines in
 * between from the files.
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

  constructor(private readonly directory: string) {
    this.statePath = join(directory, TREE_STATE_FILE);
    this.startsPath = join(directory, FILE_STARTS_FILE);
  }

  /** Under the lock: `bytes`, whole lines, were just written to `file` at `offset`. */
  extend(file: string, offset: number, bytes: Buffer): void {
    if (this.position?.file !== file || this.position.offset !== offset) this.catchUp(file, offset);
    this.splitter.feed(bytes);
    this.position = { file, offset: offset + bytes.length - this.splitter.pending };
  }

  /** Under the lock: shares the tree with the other writers, at most every 20 ms unless `now`. */
  save(now: boolean): void {
    if (!this.position || (!now && Date.now() - this.savedAt < SAVE_EVERY_MS)) return;
    saveTreeState(this.statePath, { position: this.position, range: this.range, signed: this.signed });
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
    const files = trailFilesIn(this.directory).map((name) => ({ ...name, name: name.name.replace(/\.gz$/, '') }));
    const targetName = parseTrailFileName(target)!;
    if (!this.position) {
      // No tree yet: it starts at the oldest file kept (after the lines retention deleted, if a start was noted).
      const first = files[0] ?? targetName;
      this.range = loadFileStarts(this.startsPath).get(first.name)?.clone() ?? new CompactRange();
      this.position = { file: first.name, offset: 0 };
    }
    const from = parseTrailFileName(this.position.file)!;
    if (!files.some((file) => file.name === from.name)) throw new Error(`the tree ends in ${from.name}, which is gone: the lines after it cannot be added`);
    const order = compareTrailFiles(from, targetName);
    if (order > 0 || (order === 0 && this.position.offset > targetOffset)) {
      throw new Error(`the tree ends at ${from.name}:${this.position.offset}, past the trail's end at ${target}:${targetOffset} (a file was replaced?)`);
    }
    for (const file of files) {
      if (compareTrailFiles(file, from) < 0 || compareTrailFiles(file, targetName) > 0) continue;
      const start = file.name === from.name ? this.position.offset : 0;
      if (file.name !== from.name) this.noteStart(file.name);
      feedFileSync(this.directory, file.name, start, file.name === target ? targetOffset : null, this.splitter);
      if (file.name !== target) this.splitter.endFile();
    }
    this.position = { file: target, offset: targetOffset - this.splitter.pending };
  }

  /** Before the first line of `file`: the compact range there, once per file. */
  private noteStart(file: string): void {
    if (loadFileStarts(this.startsPath).has(file)) return;
    appendFileStart(this.startsPath, file, this.range);
  }
}
