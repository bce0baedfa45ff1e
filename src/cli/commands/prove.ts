import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactRange } from '../../audit/checkpoint/compact-range.js';
import { parseCheckpoint } from '../../audit/checkpoint/checkpoint.js';
import { CHECKPOINT_DIR, listCheckpointFiles } from '../../audit/checkpoint/checkpoint-files.js';
import { inclusionPath, prunedSubtree, type Hash } from '../../audit/checkpoint/merkle-tree.js';
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
    if (!values.seq || !/^[1-9][0-9]*$/.test(values.seq)) throw new UsageError('--seq N (a record\'s seq, from 1) is required');
    const dir = trail();
    // Lines retention deleted are stood for by the compact range noted before the oldest file kept: every hash a
    // proof of a kept line needs comes out of it and the kept lines (a retired record itself cannot be proved).
    const prefix = retiredPrefix(dir) ?? new CompactRange();
    // The chain fields close every record, and a quote inside a value is escaped: this cannot match inside one.
    const needle = `,"seq":${values.seq},"prev_hash":"`;
    const leaves: Hash[] = [];
    let found: { index: number; record: string } | null = null;
    await forEachLeaf(dir, () => {}, (leaf, line) => {
      if (!found && line.includes(needle)) found = { index: prefix.size + leaves.length, record: line.toString('utf8') };
      leaves.push(leaf);
    });
    if (!found) throw new Error(`no record with seq ${values.seq} in ${dir}${prefix.size ? ` (leaves 0..${prefix.size - 1} were retired by retention)` : ''}`);
    const { index, record } = found as { index: number; record: string };
    const size = prefix.size + leaves.length;
    const subtree = prunedSubtree(prefix, leaves);
    for (const file of listCheckpointFiles(join(dir, CHECKPOINT_DIR)).reverse()) {
      if (file.size <= index || file.size > size) continue;
      const note = readFileSync(file.path, 'utf8');
      let root: Hash;
      try {
        root = parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1)).root;
      } catch {
        continue;
      }
      // Only a checkpoint this trail agrees with: a proof against any other would not verify.
      if (!root.equals(subtree(0, file.size))) continue;
      const proof = inclusionPath(index, file.size, subtree).map((hash) => hash.toString('base64'));
      process.stdout.write(`${JSON.stringify({ record, leaf_index: index, tree_size: file.size, proof, checkpoint: note })}\n`);
      return 0;
    }
    throw new Error(`no checkpoint in ${join(dir, CHECKPOINT_DIR)} covers leaf ${index} with a root this trail gives (not signed yet?)`);
  },
});
