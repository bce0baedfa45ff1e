import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactRange } from '../../audit/checkpoint/compact-range.js';
import { parseCheckpoint } from '../../audit/checkpoint/checkpoint.js';
import { CHECKPOINT_DIR, listCheckpointFiles } from '../../audit/checkpoint/checkpoint-files.js';
import type { Hash } from '../../audit/checkpoint/merkle-tree.js';
import { StreamingInclusionProof } from '../../audit/checkpoint/streaming-inclusion.js';
import { UsageError } from '../command.js';
import { defineCommand, DIR_HELP, HELP_HELP } from '../command-line.js';
import { forEachLeaf, retiredPrefix } from '../trail-leaves.js';

const HELP = `Usage: mcp-audit prove [DIR] --seq N

Prints, as one JSON object, what proves that the record with seq N is in the
signed trail without showing any other record: record (the exact line),
leaf_index, tree_size, proof (RFC 9162 inclusion proof, base64 hashes) and
checkpoint (the signed note it is checked against: the latest one whose root
this trail gives). Check it with \`mcp-audit verify-proof --public-key FILE\`.
Works on a trail whose oldest files retention deleted (from the compact range
noted before the oldest file kept); a retired record cannot be proven.

${DIR_HELP}
  --seq N            the record's seq (from 1)
  --json             accepted for scripts; the output is always one JSON object
${HELP_HELP}

Exit status: 0 proof printed, 1 no record or no checkpoint to prove it by, 2
could not run.
`;

export const proveCommand = defineCommand({
  summary: 'print an inclusion proof of one record against a signed checkpoint',
  help: HELP,
  options: { seq: { type: 'string' } },
  trail: true,
  json: true,
  async run({ values, trail }) {
    if (!values.seq || !/^[1-9][0-9]*$/.test(values.seq)) throw new UsageError("--seq N (a record's seq, from 1) is required");
    const dir = trail();
    // Lines retention deleted are stood for by the compact range noted before the oldest file kept: every hash a
    // proof of a kept line needs comes out of it and the kept lines (a retired record itself cannot be proved).
    const range = retiredPrefix(dir) ?? new CompactRange();
    const retired = range.size;
    // The chain fields close every record, and a quote inside a value is escaped: this cannot match inside one.
    const needle = `,"seq":${values.seq},"prev_hash":"`;
    const checkpoints = listCheckpointFiles(join(dir, CHECKPOINT_DIR));
    let next = 0;
    let found: { record: string; proof: StreamingInclusionProof } | null = null;
    let best: { size: number; proof: Hash[]; note: string } | null = null;
    // One pass: the root at each checkpoint's size, and once the record is passed, its audit path for that size;
    // the latest checkpoint whose root this trail gives wins (a proof against any other would not verify).
    await forEachLeaf(
      dir,
      () => {},
      (leaf, line) => {
        if (found) found.proof.append(leaf);
        else if (line.includes(needle)) found = { record: line.toString('utf8'), proof: new StreamingInclusionProof(range.size, range.clone()) };
        range.append(leaf);
        for (; next < checkpoints.length && checkpoints[next]!.size <= range.size; next++) {
          const file = checkpoints[next]!;
          if (!found || file.size !== range.size) continue;
          const note = readFileSync(file.path, 'utf8');
          if (signedRoot(note)?.equals(range.root()))
            best = { size: file.size, proof: (found as { proof: StreamingInclusionProof }).proof.proof(), note };
        }
      },
    );
    if (!found)
      throw new Error(`no record with seq ${values.seq} in ${dir}${retired ? ` (leaves 0..${retired - 1} were retired by retention)` : ''}`);
    const { record, proof } = found as { record: string; proof: StreamingInclusionProof };
    if (!best)
      throw new Error(`no checkpoint in ${join(dir, CHECKPOINT_DIR)} covers leaf ${proof.index} with a root this trail gives (not signed yet?)`);
    const { size, proof: path, note } = best as { size: number; proof: Hash[]; note: string };
    process.stdout.write(
      `${JSON.stringify({ record, leaf_index: proof.index, tree_size: size, proof: path.map((hash) => hash.toString('base64')), checkpoint: note })}\n`,
    );
    return 0;
  },
});

/** The root a checkpoint note states (its signature is verify-proof's to check), or null if it is no checkpoint. */
function signedRoot(note: string): Hash | null {
  try {
    return parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1)).root;
  } catch {
    return null;
  }
}
