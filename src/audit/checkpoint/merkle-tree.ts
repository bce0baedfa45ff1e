import { createHash } from 'node:crypto';

/**
 * The Merkle tree of RFC 6962 §2.1 (RFC 9162 §2.1): leaf hash SHA-256(0x00 || entry), interior node
 * SHA-256(0x01 || left || right), and for n > 1 entries the left subtree holds the largest power of two
 * smaller than n. The proofs are RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency), generated and checked
 * exactly as the RFC words them, so that any other implementation of the RFC agrees with ours.
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
  if (!(index >= 0 && index < size && size <= leaves.length)) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
  const path = (m: number, from: number, to: number): Hash[] => {
    const n = to - from;
    if (n === 1) return [];
    const k = split(n);
    return m < k
      ? [...path(m, from, from + k), rootOf(leaves, from + k, to)]
      : [...path(m - k, from + k, to), rootOf(leaves, from, from + k)];
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

/** PROOF(m, D[0:n]), RFC 9162 §2.1.4.1: that the tree of size m is a prefix of the tree of size n. */
export function consistencyProof(leaves: readonly Hash[], m: number, n: number): Hash[] {
  if (!(m >= 0 && m <= n && n <= leaves.length)) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const subproof = (m: number, from: number, to: number, whole: boolean): Hash[] => {
    const n = to - from;
    if (m === n) return whole ? [] : [rootOf(leaves, from, to)];
    const k = split(n);
    return m <= k
      ? [...subproof(m, from, from + k, whole), rootOf(leaves, from + k, to)]
      : [...subproof(m - k, from + k, to, false), rootOf(leaves, from, from + k)];
  };
  return subproof(m, 0, n, true);
}

/** RFC 9162 §2.1.4.2: whether `proof` shows the tree of size m with root `first` is a prefix of the one of size n with root `second`. */
export function verifyConsistency(m: number, n: number, first: Hash, second: Hash, proof: readonly Hash[]): boolean {
  if (m > n || m < 0) return false;
  if (m === n) return proof.length === 0 && first.equals(second);
  if (m === 0) return proof.length === 0;
  const path = (m & (m - 1)) === 0 ? [first, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(first) && sr.equals(second);
}
