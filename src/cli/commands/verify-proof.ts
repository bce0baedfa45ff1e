import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { parseCheckpoint } from '../../audit/checkpoint/checkpoint.js';
import { leafHash, rootFromInclusionProof } from '../../audit/checkpoint/merkle-tree.js';
import { openNote } from '../../audit/checkpoint/signed-note.js';
import { UsageError, type Command } from '../command.js';
import { readPublicKey } from '../public-key.js';

const usage = `Usage: mcp-audit prove … | mcp-audit verify-proof --public-key FILE

Reads the JSON of \`mcp-audit prove\` on stdin and checks, with the public key
alone, that its checkpoint is signed by that key and that its record is at
leaf_index in the tree whose root the checkpoint signed.
Exit status: 0 proven, 1 not, 2 could not run.`;

interface Proof {
  record: string;
  leaf_index: number;
  tree_size: number;
  proof: string[];
  checkpoint: string;
}

function check(input: Proof, publicKey: ReturnType<typeof readPublicKey>): string {
  const opened = openNote(input.checkpoint, publicKey);
  if (!opened.ok) throw new Error(`checkpoint: ${opened.reason}`);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== opened.keyName) throw new Error(`checkpoint: origin ${checkpoint.origin} signed under the key name ${opened.keyName}`);
  if (checkpoint.size !== input.tree_size) throw new Error(`the proof is for size ${input.tree_size}, the checkpoint signed size ${checkpoint.size}`);
  const path = input.proof.map((hash) => Buffer.from(hash, 'base64'));
  const root = rootFromInclusionProof(input.leaf_index, input.tree_size, leafHash(Buffer.from(input.record, 'utf8')), path);
  if (!root?.equals(checkpoint.root)) throw new Error(`the record is not leaf ${input.leaf_index} of the signed tree of size ${checkpoint.size}`);
  return `OK: the record is leaf ${input.leaf_index} of ${checkpoint.origin}, size ${checkpoint.size}, signed by ${opened.keyName}`;
}

export const verifyProofCommand: Command = {
  summary: 'check a `prove` output with the public key alone',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { 'public-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!values['public-key']) throw new UsageError('--public-key FILE is required');
    const publicKey = readPublicKey(values['public-key']);
    let input: Proof;
    try {
      input = JSON.parse(await text(process.stdin)) as Proof;
    } catch (error) {
      throw new UsageError(`stdin is not the JSON of \`mcp-audit prove\`: ${(error as Error).message}`);
    }
    if (typeof input.record !== 'string' || !Number.isSafeInteger(input.leaf_index) || !Number.isSafeInteger(input.tree_size) ||
      !Array.isArray(input.proof) || typeof input.checkpoint !== 'string') throw new UsageError('stdin lacks record, leaf_index, tree_size, proof or checkpoint');
    try {
      process.stdout.write(`${check(input, publicKey)}\n`);
      return 0;
    } catch (error) {
      process.stdout.write(`FAILED: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
