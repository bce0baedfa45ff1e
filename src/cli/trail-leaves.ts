import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Hash } from '../audit/checkpoint/merkle-tree.js';
import { LineSplitter, trailFilesIn } from '../audit/checkpoint/trail-lines.js';
import { FILE_STARTS_FILE, loadFileStarts } from '../audit/checkpoint/tree-state.js';
import type { CompactRange } from '../audit/checkpoint/compact-range.js';

/** The compact range standing for lines retention deleted: the one noted at the start of the oldest file kept. */
export function retiredPrefix(dir: string): CompactRange | undefined {
  const first = trailFilesIn(dir)[0];
  return first ? loadFileStarts(join(dir, FILE_STARTS_FILE)).get(first.name.replace(/\.gz$/, ''))?.clone() : undefined;
}

/**
 * Streams the trail's leaves in order (see trail-lines.ts for what a leaf is), gzipped files included, in
 * constant memory: `onFile` before each file's lines, `onLeaf` with each line's leaf hash and bytes.
 */
export async function forEachLeaf(dir: string, onFile: (name: string) => void, onLeaf: (leaf: Hash, line: Buffer) => void): Promise<void> {
  const splitter = new LineSplitter(onLeaf);
  for (const file of trailFilesIn(dir)) {
    onFile(file.name);
    let stream: NodeJS.ReadableStream = createReadStream(join(dir, file.name), { highWaterMark: 1 << 20 });
    if (file.compressed) stream = stream.pipe(createGunzip());
    for await (const chunk of stream as AsyncIterable<Buffer>) splitter.feed(chunk);
    splitter.endFile();
  }
}
