import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1): leaf hash SHA-256(0x00 || entry), interior node
 * SHA-256(0x01 || left || right), and for n > 1 entries the left subtree holds the largest power of two
 * smaller than n. The inclusion proof is RFC 9162 §2.1.3, generated and checked exactly as the RFC words it, so
 * that any other implementation of the RFC agrees with ours (`prove` builds the same path in one streaming pass:
 * streaming-inclusion.ts, checked against this one). There is no consistency proof (§2.1.4): issue 13 has
 * `verify --public-key` recompute every checkpoint's root from the trail's own lines, which shows each checkpoint
 * extends the earlier ones without one.
 */
export type Hash = Buffer;

const LEAF = Buffer.of(0x00);
const NODE = Buffer.of(0x01);

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function leafHash(entry: Uint8Array): Hash {
  return createHash('sha256').update(LEAF).update(entry).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The largest power of two smaller than n (n > 1): the size of the left subtree. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[from:to]) over leaf hashes. */
export function rootOf(leaves: readonly Hash[], from = 0, to = leaves.length): Hash {
  const n = to - from;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[from]!;
  const k = split(n);
  return nodeHash(rootOf(leaves, from, from + k), rootOf(leaves, from + k, to));
}

/** PATH(index, D[0:size]), RFC 9162 §2.1.3.1: the audit path, from the leaf's sibling up. */
export function inclusionProof(leaves: readonly Hash[], index: number, size: number): Hash[] {
  if (!(size <= leaves.length)) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  return inclusionPath(index, size, (from, to) => rootOf(leaves, from, to));
}

/** PATH(index, D[0:size]), the subtree hashes MTH(D[from:to]) coming from `subtree` (which may hold fewer leaves). */
export function inclusionPath(index: number, size: number, subtree: (from: number, to: number) => Hash): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  const path = (m: number, from: number, to: number): Hash[] => {
    const n = to - from;
    if (n === 1) return [];
    const k = split(n);
    return m < k ? [...path(m, from, from + k), subtree(from + k, to)] : [...path(m - k, from + k, to), subtree(from, from + k)];
  };
  return path(index, 0, size);
}

/** RFC 9162 §2.1.3.2: the root the audit path leads to from `leaf` at `index`, or null if the path cannot fit that tree. */
export function rootFromInclusionProof(index: number, size: number, leaf: Hash, proof: readonly Hash[]): Hash | null {
  if (!(index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
