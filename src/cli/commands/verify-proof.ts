import { text } from 'node:stream/consumers';
import { parseCheckpoint } from '../../audit/checkpoint/checkpoint.js';
import { leafHash, rootFromInclusionProof } from '../../audit/checkpoint/merkle-tree.js';
import { openNote } from '../../audit/checkpoint/signed-note.js';
import { CannotRunError, EXIT, UsageError } from '../command.js';
import { defineCommand, HELP_HELP } from '../command-line.js';
import { readPublicKey } from '../public-key.js';

const HELP = `Usage: mcp-audit prove … | mcp-audit verify-proof --public-key FILE [--json]

Reads the JSON of \`mcp-audit prove\` on stdin and checks, with the public key
alone, that its checkpoint is signed by that key and that its record is at
leaf_index in the tree whose root the checkpoint signed.

  --public-key FILE  the Ed25519 public key (SPKI PEM, from mcp-audit keygen)
  --json             the verdict as one JSON object: {"ok", "message"}
${HELP_HELP}

Exit status: 0 proven, 1 not, 2 could not run (usage, a key that cannot be
read, stdin that is not a proof).
`;

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
  return `the record is leaf ${input.leaf_index} of ${checkpoint.origin}, size ${checkpoint.size}, signed by ${opened.keyName}`;
}

export const verifyProofCommand = defineCommand({
  summary: 'check a `prove` output with the public key alone',
  help: HELP,
  options: { 'public-key': { type: 'string' } },
  json: true,
  async run({ values }) {
    if (!values['public-key']) throw new UsageError('--public-key FILE is required');
    let publicKey;
    try {
      publicKey = readPublicKey(values['public-key']);
    } catch (error) {
      throw new CannotRunError((error as Error).message);
    }
    let input: Proof;
    try {
      input = JSON.parse(await text(process.stdin)) as Proof;
    } catch (error) {
      throw new UsageError(`stdin is not the JSON of \`mcp-audit prove\`: ${(error as Error).message}`);
    }
    if (
      typeof input.record !== 'string' ||
      !Number.isSafeInteger(input.leaf_index) ||
      !Number.isSafeInteger(input.tree_size) ||
      !Array.isArray(input.proof) ||
      typeof input.checkpoint !== 'string'
    )
      throw new UsageError('stdin lacks record, leaf_index, tree_size, proof or checkpoint');
    let verdict: { ok: boolean; message: string };
    try {
      verdict = { ok: true, message: check(input, publicKey) };
    } catch (error) {
      verdict = { ok: false, message: (error as Error).message };
    }
    process.stdout.write(values.json ? `${JSON.stringify(verdict)}\n` : `${verdict.ok ? 'OK' : 'FAILED'}: ${verdict.message}\n`);
    return verdict.ok ? EXIT.ok : EXIT.finding;
  },
});
