import { CompactRange } from './compact-range.js';
import type { Hash } from './merkle-tree.js';

/**
 * PATH(index, D[0:size]) of RFC 9162 §2.1.3.1 built while the leaves stream past once, in O(log size) memory, for
 * every size reached after the leaf: what `prove` needs to answer for whichever checkpoint turns out to be the
 * latest one the trail agrees with, without holding a million leaf hashes.
 *
 * The audit path's siblings split [0, size) minus the leaf into aligned subtrees, one per level j (bottom up):
 * - bit j of index set: the perfect subtree just left of the leaf's, [(i>>j)-1, i>>j) << j. These are exactly the
 *   nodes of the compact range [0, index), which the caller hands over when it reaches the leaf.
 * - bit j clear: the subtree just right of it, R_j = [(i>>j)+1, (i>>j)+2) << j, if it starts before `size`; whole
 *   if it ends by `size`, else cut at `size` (MTH of its leaves so far). The R_j are consecutive from index + 1,
 *   so one compact range at a time collects the block being filled.
 */
export class StreamingInclusionProof {
  private readonly left = new Map<number, Hash>();
  private readonly right = new Map<number, Hash>();
  private block = new CompactRange();
  private blockLevel = -1;

  /** `before`: the compact range of the leaves before `index`. */
  constructor(
    readonly index: number,
    before: CompactRange,
  ) {
    if (before.size !== index) throw new RangeError(`the compact range before leaf ${index} has ${before.size} leaves`);
    let next = 0;
    for (let level = Math.floor(Math.log2(Math.max(index, 1))); level >= 0; level--) {
      if (bit(index, level)) this.left.set(level, before.hashes[next++]!);
    }
    this.nextBlock(0);
  }

  /** The tree size the leaves so far make. */
  get size(): number {
    let size = this.index + 1 + this.block.size;
    for (const level of this.right.keys()) size += 2 ** level;
    return size;
  }

  /** The next leaf after the ones seen (index + 1 first). */
  append(leaf: Hash): void {
    this.block.append(leaf);
    if (this.block.size < 2 ** this.blockLevel) return;
    this.right.set(this.blockLevel, this.block.root());
    this.block = new CompactRange();
    this.nextBlock(this.blockLevel + 1);
  }

  /** The audit path for the tree of the leaves so far (size = index + 1 + leaves appended), from the leaf up. */
  proof(): Hash[] {
    const size = this.size;
    const path: Hash[] = [];
    for (let level = 0; 2 ** level < size; level++) {
      if (bit(this.index, level)) {
        path.push(this.left.get(level)!);
        continue;
      }
      const start = (Math.floor(this.index / 2 ** level) + 1) * 2 ** level;
      if (start >= size) continue;
      // The block cut at `size` is the one being filled: the R_j before it are complete.
      path.push(start + 2 ** level <= size ? this.right.get(level)! : this.block.root());
    }
    return path;
  }

  /** The first level from `level` up whose sibling lies to the right: the next block to fill. */
  private nextBlock(level: number): void {
    while (bit(this.index, level)) level++;
    this.blockLevel = level;
  }
}

function bit(n: number, level: number): boolean {
  return Math.floor(n / 2 ** level) % 2 === 1;
}
