import type { Hash } from './merkle-tree.js';

/**
 * The body of a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the origin (which log), the tree size in
 * decimal without leading zeros, the RFC 6962 root hash in standard base64, each on a line ending in a newline.
 * We write no extension lines (the spec advises against them); we accept and ignore them when reading.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (checkpoint.origin === '' || /\n/.test(checkpoint.origin)) throw new Error('a checkpoint origin is one non-empty line');
  return `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.root.toString('base64')}\n`;
}

/** Parses a note text as a checkpoint; throws saying what is wrong. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new Error('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line === '')) throw new Error('a checkpoint has at least three non-empty lines');
  const [origin, size, root] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new Error(`tree size "${size}" is not a decimal number`);
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root) throw new Error(`root hash "${root}" is not 32 bytes of base64`);
  return { origin, size: Number(size), root: hash };
}
