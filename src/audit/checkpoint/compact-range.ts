import { EMPTY_ROOT, nodeHash, type Hash } from './merkle-tree.js';

/**
 * The right frontier of an RFC 6962 tree (a compact range [0, size)): the roots of its perfect subtrees, largest
 * first, one per set bit of `size`. Enough to extend the tree by more leaves and to compute its root, without the
 * leaves themselves: what a writer keeps between processes, and what stands for lines retention has deleted.
 */
export class CompactRange {
  constructor(
    public size = 0,
    public hashes: Hash[] = [],
  ) {
    if (hashes.length !== popcount(size)) throw new Error(`a compact range of size ${size} has ${popcount(size)} hashes, not ${hashes.length}`);
  }

  append(leaf: Hash): void {
    let merged = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
    for (let size = this.size; size % 2 === 1; size = Math.floor(size / 2)) merged = nodeHash(this.hashes.pop()!, merged);
    this.hashes.push(merged);
    this.size++;
  }

  root(): Hash {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let root = this.hashes.at(-1)!;
    for (let index = this.hashes.length - 2; index >= 0; index--) root = nodeHash(this.hashes[index]!, root);
    return root;
  }

  clone(): CompactRange {
    return new CompactRange(this.size, [...this.hashes]);
  }

  toJSON(): { size: number; hashes: string[] } {
    return { size: this.size, hashes: this.hashes.map((hash) => hash.toString('base64')) };
  }

  static fromJSON(value: unknown): CompactRange {
    const { size, hashes } = (value ?? {}) as { size?: unknown; hashes?: unknown };
    if (!Number.isSafeInteger(size) || (size as number) < 0 || !Array.isArray(hashes)) throw new Error('not a compact range');
    const decoded = hashes.map((hash) => Buffer.from(String(hash), 'base64'));
    if (decoded.some((hash) => hash.length !== 32)) throw new Error('a compact range hash is not 32 bytes');
    return new CompactRange(size as number, decoded);
  }
}

function popcount(n: number): number {
  let count = 0;
  for (; n > 0; n = Math.floor(n / 2)) count += n % 2;
  return count;
}
