import { join } from 'node:path';
import type { Hash } from '../audit/checkpoint/merkle-tree.js';
import { LineSplitter, treeFilesIn } from '../audit/checkpoint/trail-lines.js';
import { FILE_STARTS_FILE, loadFileStarts } from '../audit/checkpoint/tree-state.js';
import type { CompactRange } from '../audit/checkpoint/compact-range.js';
import { openTrailFile } from './trail-files.js';

/** The compact range standing for lines retention deleted: the one noted at the start of the oldest file kept. */
export function retiredPrefix(dir: string): CompactRange | undefined {
  const first = treeFilesIn(dir)[0];
  return first ? loadFileStarts(join(dir, FILE_STARTS_FILE)).get(first)?.clone() : undefined;
}

/**
 * Streams the trail's leaves in chain order (see trail-lines.ts for what a leaf is), rotated and gzipped files
 * included, in constant memory: `onFile` before each file's lines, `onLeaf` with each line's leaf hash and bytes.
 * Throws for a file compressed otherwise than with gzip, or one that is not a regular file: its lines cannot be counted.
 */
export async function forEachLeaf(dir: string, onFile: (name: string) => void, onLeaf: (leaf: Hash, line: Buffer) => void): Promise<void> {
  const splitter = new LineSplitter(onLeaf);
  for (const file of treeFilesIn(dir)) {
    const { stream } = openTrailFile(file, { highWaterMark: 1 << 20 });
    onFile(file.name);
    for await (const chunk of stream as AsyncIterable<Buffer>) splitter.feed(chunk);
    splitter.endFile();
  }
}
