import { join } from 'node:path';
import type { TreeReport } from './tree-report.js';

/** The trail file holding leaf `leaf` (0-based). */
function holderOf(report: TreeReport, leaf: number): TreeReport['files'][number] | undefined {
  return [...report.files].reverse().find((candidate) => candidate.firstLeaf <= leaf && candidate.lines > 0);
}

/** `file:line` of leaf `leaf`, as editors count lines. */
function placeOf(report: TreeReport, leaf: number): string {
  const file = holderOf(report, leaf);
  return file ? `${file.name}:${leaf - file.firstLeaf + 1}` : '(no file)';
}

/**
 * Turns the checkpoints' outcomes into findings that say where to look: the first checkpoint whose root the trail
 * does not give, between the last one it does (the change is among those leaves); the largest checkpoint the
 * trail is shorter than (its end was cut); and how much of the trail no signature covers yet.
 */
export function judge(report: TreeReport): void {
  const { checkpoints } = report;
  if (checkpoints.length === 0) {
    report.problems.push({ kind: 'no-checkpoint', file: null, message: 'no checkpoint signed by this public key: nothing vouches for this trail' });
    return;
  }
  let lastGood = report.retired;
  const wrong = checkpoints.filter((checkpoint) => checkpoint.matches === false);
  for (const checkpoint of checkpoints) {
    if (checkpoint.matches === false) break;
    if (checkpoint.matches) lastGood = checkpoint.size;
  }
  const first = wrong[0];
  if (first) {
    const last = first.size - 1;
    const later = wrong.length > 1 ? `; ${wrong.length - 1} later checkpoint(s) do not match either` : '';
    report.problems.push({
      kind: 'modified',
      file: holderOf(report, lastGood)?.name ?? null,
      message:
        `the trail does not give the root signed in ${join(first.source, first.name)} (size ${first.size}): a line among leaves ${lastGood}..${last} ` +
        `(${placeOf(report, lastGood)} to ${placeOf(report, Math.min(last, report.leaves - 1))}) was edited, inserted, deleted or moved${later}`,
    });
  }
  // The retired lines are stood for by a compact range from audit.tree-starts.jsonl, which nothing signs: only a
  // checkpoint at or past its size whose root the trail gives vouches for it. Else a range forged to claim more
  // lines retired than any checkpoint covers would leave every root unchecked, an edit and a cut tail with them.
  if (report.retired > 0 && !checkpoints.some((checkpoint) => checkpoint.size >= report.retired && checkpoint.matches)) {
    report.problems.push({
      kind: 'unvouched-start',
      file: report.files[0]?.name ?? null,
      message:
        `${report.retired} line(s) are said to be retired before it (audit.tree-starts.jsonl), but no checkpoint of that size or more matches the trail: ` +
        'nothing signed vouches for that range, so no root could be checked (the file was edited, or no checkpoint was signed since retention ran)',
    });
  }
  const longest = checkpoints.at(-1)!;
  if (longest.size > report.leaves) {
    report.problems.push({
      kind: 'truncated',
      file: report.files.at(-1)?.name ?? null,
      message: `${join(longest.source, longest.name)} signed ${longest.size} lines but the trail has ${report.leaves}: lines ${report.leaves}..${longest.size - 1} were cut off the end`,
    });
  }
  const signed = Math.max(...checkpoints.filter((checkpoint) => checkpoint.matches).map((checkpoint) => checkpoint.size), 0);
  if (report.problems.length === 0 && report.leaves > signed) {
    report.notes.push(
      `${report.leaves - signed} line(s) after the last checkpoint (size ${signed}) are not signed yet: a checkpoint comes every AUDIT_CHECKPOINT_EVERY lines, after AUDIT_CHECKPOINT_INTERVAL_MS and at a clean shutdown`,
    );
  }
  const retired = checkpoints.filter((checkpoint) => checkpoint.size < report.retired).length;
  if (retired > 0) report.notes.push(`${retired} checkpoint(s) older than the retired lines: signatures checked, roots not recomputable`);
}
