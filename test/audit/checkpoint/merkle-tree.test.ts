// Known answers from the RFC 6962 reference vectors of Certificate Transparency, as published in
// github.com/transparency-dev/merkle (testonly/constants.go and proof/verify_test.go).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactRange } from '../../../src/audit/checkpoint/compact-range.js';
import { EMPTY_ROOT, inclusionProof, leafHash, rootFromInclusionProof, rootOf, type Hash } from '../../../src/audit/checkpoint/merkle-tree.js';
import { StreamingInclusionProof } from '../../../src/audit/checkpoint/streaming-inclusion.js';

const hex = (value: string): Hash => Buffer.from(value, 'hex');
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hex);
const LEAVES = INPUTS.map(leafHash);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(hex);
// Leaf numbers 1-based, as in the published vectors.
const INCLUSION: Array<[number, number, string[]]> = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

test('the root at every size 0..8 is the reference root, by recursion and by the compact range', () => {
  assert.deepEqual(EMPTY_ROOT, ROOTS[0]);
  const range = new CompactRange();
  for (let size = 0; size <= 8; size++) {
    assert.deepEqual(rootOf(LEAVES.slice(0, size)), ROOTS[size], `size ${size}`);
    assert.deepEqual(range.root(), ROOTS[size], `compact range of size ${size}`);
    if (size < 8) range.append(LEAVES[size]!);
  }
  assert.equal(range.hashes.length, 1);
  // Size 7: three perfect subtrees (4, 2, 1), the last the leaf itself; survives its JSON form.
  const seven = new CompactRange();
  for (const leaf of LEAVES.slice(0, 7)) seven.append(leaf);
  assert.deepEqual(
    seven.hashes.map((hash) => hash.toString('hex')),
    [ROOTS[4]!.toString('hex'), '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', LEAVES[6]!.toString('hex')],
  );
  assert.deepEqual(CompactRange.fromJSON(JSON.parse(JSON.stringify(seven))).root(), ROOTS[7]);
});

test('inclusion proofs are the reference audit paths and lead to the reference roots; a wrong index, size, leaf or path does not', () => {
  for (const [leaf, size, path] of INCLUSION) {
    const proof = inclusionProof(LEAVES, leaf - 1, size);
    assert.deepEqual(
      proof.map((hash) => hash.toString('hex')),
      path,
      `leaf ${leaf} of ${size}`,
    );
    assert.deepEqual(rootFromInclusionProof(leaf - 1, size, LEAVES[leaf - 1]!, proof), ROOTS[size]);
    const wrong = [
      rootFromInclusionProof(leaf, size, LEAVES[leaf - 1]!, proof),
      rootFromInclusionProof(leaf - 1, size * 2, LEAVES[leaf - 1]!, proof),
      rootFromInclusionProof(leaf - 1, size, leafHash(Buffer.from('WrongLeaf')), proof),
      rootFromInclusionProof(leaf - 1, size, LEAVES[leaf - 1]!, [...proof, ROOTS[size]!]),
      rootFromInclusionProof(leaf - 1, size, LEAVES[leaf - 1]!, proof.slice(1)),
    ];
    for (const root of wrong) assert.ok(root === null || !root.equals(ROOTS[size]!));
  }
  assert.deepEqual(rootFromInclusionProof(0, 1, LEAVES[0]!, []), ROOTS[1]);
  assert.equal(rootFromInclusionProof(1, 1, LEAVES[0]!, []), null);
});

test('every leaf of every tree up to 40 leaves has a proof that verifies', () => {
  const leaves = Array.from({ length: 40 }, (_, index) => leafHash(Buffer.from(`line ${index}`)));
  for (let size = 1; size <= leaves.length; size++) {
    const root = rootOf(leaves.slice(0, size));
    for (let index = 0; index < size; index++) {
      assert.deepEqual(rootFromInclusionProof(index, size, leaves[index]!, inclusionProof(leaves, index, size)), root);
    }
  }
});

/** The streaming audit path of leaf `index` for every size after it, as `prove` builds it from the compact range before it. */
function streamedProofs(leaves: readonly Hash[], index: number): Map<number, Hash[]> {
  const before = new CompactRange();
  for (const leaf of leaves.slice(0, index)) before.append(leaf);
  const streaming = new StreamingInclusionProof(index, before);
  const proofs = new Map([[index + 1, streaming.proof()]]);
  for (const leaf of leaves.slice(index + 1)) {
    streaming.append(leaf);
    proofs.set(streaming.size, streaming.proof());
  }
  return proofs;
}

test('the streaming proof gives the reference audit paths', () => {
  for (const [leaf, size, path] of INCLUSION) {
    const proof = streamedProofs(LEAVES.slice(0, size), leaf - 1).get(size)!;
    assert.deepEqual(
      proof.map((hash) => hash.toString('hex')),
      path,
      `leaf ${leaf} of ${size}`,
    );
  }
});

test('for every leaf of every tree up to 70 leaves, the streaming proof (from the compact range before the leaf, as after retention) is the recursive one', () => {
  const leaves = Array.from({ length: 70 }, (_, index) => leafHash(Buffer.from(`line ${index}`)));
  for (let index = 0; index < leaves.length; index++) {
    const proofs = streamedProofs(leaves, index);
    assert.equal(proofs.size, leaves.length - index);
    for (const [size, proof] of proofs) assert.deepEqual(proof, inclusionProof(leaves, index, size), `leaf ${index} of ${size}`);
  }
});
