import type { Hash } from '../audit/checkpoint/merkle-tree.js';

// What verifyTree finds, in a leaf of its own: tree-findings.ts fills it in and the verify command prints it.
export type TreeProblemKind = 'signature' | 'modified' | 'truncated' | 'fork' | 'no-checkpoint' | 'unvouched-start';

export interface TreeProblem {
  kind: TreeProblemKind;
  /** The trail file or checkpoint concerned, if one. */
  file: string | null;
  message: string;
}

export interface SignedCheckpoint {
  name: string;
  source: string;
  size: number;
  root: Hash;
  origin: string;
  /** Whether the root recomputed from the trail matched; null while not reached, or if retired. */
  matches: boolean | null;
}

export interface TreeReport {
  origin: string | null;
  leaves: number;
  retired: number;
  files: Array<{ name: string; lines: number; firstLeaf: number }>;
  checkpoints: SignedCheckpoint[];
  problems: TreeProblem[];
  notes: string[];
}
