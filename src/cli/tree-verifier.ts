import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parseCheckpoint } from '../audit/checkpoint/checkpoint.js';
import { CHECKPOINT_DIR, listCheckpointFiles } from '../audit/checkpoint/checkpoint-files.js';
import { CompactRange } from '../audit/checkpoint/compact-range.js';
import type { SignedCheckpoint, TreeReport } from './tree-report.js';
import { openNote } from '../audit/checkpoint/signed-note.js';
import { forEachLeaf, retiredPrefix } from './trail-leaves.js';
import { judge } from './tree-findings.js';

/**
 * `verify --public-key`: what a third party can check with the public key alone. Every checkpoint (local and in
 * the mirrors given) must carry a valid signature by that key, under its origin as key name; the tree is rebuilt
 * from the trail's lines and its root at each checkpoint's size must be the signed one. Since every root is
 * recomputed from the same lines, each checkpoint that matches extends every earlier one (they are consistent);
 * and the trail must not be shorter than any checkpoint. Lines retention deleted are stood for by the compact
 * range the writer noted at the start of the oldest file kept.
 */
/** Reads and checks the signature of every checkpoint in `dirs` (a missing one has none). */
function readCheckpoints(dirs: string[], publicKey: KeyObject, report: TreeReport): SignedCheckpoint[] {
  const valid: SignedCheckpoint[] = [];
  for (const dir of dirs) {
    for (const file of listCheckpointFiles(dir)) {
      const fail = (message: string) => report.problems.push({ kind: 'signature', file: file.path, message });
      const opened = openNote(readFileSync(file.path), publicKey);
      if (!opened.ok) {
        fail(opened.reason);
        continue;
      }
      let checkpoint;
      try {
        checkpoint = parseCheckpoint(opened.text);
      } catch (error) {
        fail(`signed, but not a checkpoint: ${(error as Error).message}`);
        continue;
      }
      if (checkpoint.origin !== opened.keyName) fail(`origin ${checkpoint.origin} signed under another key name, ${opened.keyName}`);
      else if (checkpoint.size !== file.size) fail(`signed for size ${checkpoint.size}, but named for size ${file.size}`);
      else valid.push({ name: file.name, source: dir, ...checkpoint, matches: null });
    }
  }
  return valid.sort((a, b) => a.size - b.size);
}

export async function verifyTree(dir: string, publicKey: KeyObject, mirrors: string[] = []): Promise<TreeReport> {
  const report: TreeReport = { origin: null, leaves: 0, retired: 0, files: [], checkpoints: [], problems: [], notes: [] };
  const checkpoints = readCheckpoints([join(dir, CHECKPOINT_DIR), ...mirrors], publicKey, report);
  report.checkpoints = checkpoints;
  for (const checkpoint of checkpoints) {
    report.origin ??= checkpoint.origin;
    if (checkpoint.origin !== report.origin)
      report.problems.push({
        kind: 'signature',
        file: join(checkpoint.source, checkpoint.name),
        message: `origin ${checkpoint.origin}, not ${report.origin}: another trail's checkpoint`,
      });
    const twin = checkpoints.find((other) => other.size === checkpoint.size && !other.root.equals(checkpoint.root));
    if (twin)
      report.problems.push({
        kind: 'fork',
        file: join(checkpoint.source, checkpoint.name),
        message: `two different roots signed for size ${checkpoint.size} (also ${join(twin.source, twin.name)})`,
      });
  }
  const range = retiredPrefix(dir) ?? new CompactRange();
  report.retired = range.size;
  let next = 0;
  const check = () => {
    while (next < checkpoints.length && checkpoints[next]!.size <= range.size) {
      const checkpoint = checkpoints[next++]!;
      // Older than the retired lines: its root cannot be recomputed.
      if (checkpoint.size < report.retired) continue;
      checkpoint.matches = checkpoint.root.equals(range.root());
    }
  };
  check();
  let current: TreeReport['files'][number] | null = null;
  await forEachLeaf(
    dir,
    (name) => {
      current = { name, lines: 0, firstLeaf: range.size };
      report.files.push(current);
    },
    (leaf) => {
      range.append(leaf);
      current!.lines++;
      check();
    },
  );
  if (range.size > 0 && report.retired > 0) {
    report.notes.push(
      `leaves 0..${report.retired - 1} (before ${report.files[0]!.name}) are no longer in the trail (retention, or a deleted file: plain \`verify\` tells which); later roots are computed from the compact range noted at its start`,
    );
  }
  report.leaves = range.size;
  judge(report);
  return report;
}
