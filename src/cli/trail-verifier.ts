import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS, type ChainHasher, type ChainLink } from '../audit/trail/hash-chain.js';
import { readTrailHead, type TrailHead } from '../audit/trail/trail-head.js';
import { RETENTION_ACTION } from '../audit/trail/retention-record.js';
import { RECOVERY_ACTION } from '../audit/trail/writer-records.js';
import { RetentionLedger, seqRanges, type RetiredRange, type RetentionSummary } from './retired-records.js';
import { listTrailFiles, readTrailLines, unreadableReason, type TrailFile, type TrailLine } from './trail-files.js';
import { sameLink } from '../audit/checkpoint/trail-lines.js';
import { firstLinkOf } from '../audit/trail/trail-file-order.js';

export type ProblemKind =
  | 'modified'
  | 'deleted'
  | 'missing-file'
  | 'inserted'
  | 'reordered'
  | 'truncated'
  | 'torn'
  | 'malformed'
  | 'wrong-key'
  | 'head'
  | 'unreadable';

/** One finding, located like CloudTrail's validate-logs output: file, line and seq where known. */
export interface TrailProblem {
  kind: ProblemKind;
  file: string | null;
  line: number | null;
  seq: number | null;
  message: string;
}

export interface FileSummary {
  name: string;
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

export interface VerifyReport {
  files: FileSummary[];
  records: number;
  problems: TrailProblem[];
  /** Not problems: recovered torn lines, days without a file, records after the head, records retired by retention. */
  notes: string[];
  /** The files retention retired, with their seq ranges, as its `retention` records in the trail name them. */
  retired: RetiredRange[];
}

export interface VerifyOptions {
  hasher: ChainHasher;
  /** Default `<dir>/audit.head.json`; `null` skips the end-of-trail check (and says so). */
  headPath?: string | null;
}

interface ParsedRecord {
  seq: number;
  prev_hash: string;
  action?: unknown;
  input_summary?: {
    torn_lines?: { file: string; line: number; after_seq?: number }[];
    head?: string;
    missing_records?: { first_seq: number; last_seq: number };
  } & RetentionSummary;
}

/**
 * Walks every trail file in order and checks every link: each record's hash
 * against its content, its `seq` and `prev_hash` against the record before
 * it (across files), the first record against the head's start anchor and
 * the last one against the head.
 */
export async function verifyTrail(dir: string, options: VerifyOptions): Promise<VerifyReport> {
  for (let pass = 1; ; pass++) {
    const shape = directoryShape(dir);
    const report = await verifyOnce(dir, options);
    // Files renamed or deleted while they were read (logrotate shifting .1.gz to .2.gz, retention) can make a sound
    // trail look broken: a report with problems is made again while the trail's files keep changing under it.
    if (report.problems.length === 0 || pass === VERIFY_PASSES || directoryShape(dir) === shape) {
      if (pass > 1) report.notes.push(`the trail's files changed while verify read them (logrotate, retention): this report is of pass ${pass}`);
      return report;
    }
  }
}

const VERIFY_PASSES = 3;

/** The trail's files by name and inode: what logrotate and retention change, and a writer appending does not. */
function directoryShape(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith('audit_'));
  } catch {
    return '';
  }
  return names
    .sort()
    .map((name) => {
      try {
        return `${name}:${lstatSync(join(dir, name)).ino}`;
      } catch {
        return `${name}:gone`;
      }
    })
    .join('\n');
}

async function verifyOnce(dir: string, options: VerifyOptions): Promise<VerifyReport> {
  const { hasher } = options;
  const report: VerifyReport = { files: [], records: 0, problems: [], notes: [], retired: [] };
  const problem = (kind: ProblemKind, file: string | null, line: number | null, seq: number | null, message: string): TrailProblem => {
    const found = { kind, file, line, seq, message };
    report.problems.push(found);
    return found;
  };
  const head = loadHead(dir, options, report, problem);

  let last: ChainLink = head?.start ?? GENESIS;
  let lastPlace = 'the start of the trail';
  let lastLine: { file: string; line: number } | null = null;
  const seen = new Set<number>();
  const gaps: { from: number; to: number; problem: TrailProblem }[] = [];
  const unparseable: { file: string; line: number; terminated: boolean; lastInFile: boolean; afterSeq: number }[] = [];
  const recovered = new RecoveredTornLines();
  const foundGone: { first: number; last: number; place: string }[] = [];
  const retention = new RetentionLedger();
  let hashMatches = 0;
  let headHashSeen: string | null = null;
  const files = listTrailFiles(dir);
  for (const [fileIndex, file] of files.entries()) {
    const summary: FileSummary = { name: file.name, records: 0, firstSeq: null, lastSeq: null };
    report.files.push(summary);
    const unreadable = unreadableReason(file);
    if (unreadable) {
      problem('unreadable', file.name, null, null, `${unreadable}; its records cannot be checked`);
      continue;
    }
    let pendingUnparseable: (typeof unparseable)[number] | null = null;
    const unreadableNow = (why: string): void => void problem('unreadable', file.name, null, null, `${why}; its records cannot be checked`);
    const movedNow = (to: string): void => void report.notes.push(`${file.name} was renamed to ${to} while verify ran (logrotate): read there`);
    for await (const { text, lineNumber, terminated } of linesOrProblem(dir, file, unreadableNow, movedNow)) {
      if (pendingUnparseable) unparseable.push({ ...pendingUnparseable, lastInFile: false });
      pendingUnparseable = null;
      let record: ParsedRecord;
      try {
        record = JSON.parse(text) as ParsedRecord;
        if (!terminated) throw new Error('unterminated');
      } catch {
        pendingUnparseable = { file: file.name, line: lineNumber, terminated, lastInFile: true, afterSeq: last.seq };
        continue;
      }
      const check = hasher.check(text);
      if (typeof record.seq !== 'number' || typeof record.prev_hash !== 'string' || !check) {
        problem('inserted', file.name, lineNumber, null, 'record without seq/prev_hash/hash: not written by the chained writer (inserted?)');
        continue;
      }
      const { seq } = record;
      report.records++;
      summary.records++;
      summary.firstSeq ??= seq;
      summary.lastSeq = seq;
      if (check.stored === check.computed) hashMatches++;
      else problem('modified', file.name, lineNumber, seq, "hash does not match the record's content: the record was edited");
      if (head && seq === head.last.seq) headHashSeen = check.stored;

      if (seq === last.seq + 1 && record.prev_hash !== last.hash) {
        problem(
          'inserted',
          file.name,
          lineNumber,
          seq,
          `prev_hash does not match the hash of seq ${last.seq} (${lastPlace}): record replaced or inserted`,
        );
      } else if (seen.has(seq)) {
        problem('inserted', file.name, lineNumber, seq, `seq ${seq} appears a second time: inserted or duplicated record`);
        continue;
      } else if (seq <= last.seq) {
        problem('reordered', file.name, lineNumber, seq, `seq ${seq} comes after seq ${last.seq} (${lastPlace}): records reordered`);
        seen.add(seq);
        continue;
      } else if (seq > last.seq + 1) {
        const range = seq - 1 === last.seq + 1 ? `seq ${seq - 1}` : `seq ${last.seq + 1}..${seq - 1}`;
        const atFileStart = lineNumber === 1;
        const where = fileIndex === 0 && atFileStart ? 'before the oldest file' : `between ${lastPlace} and here`;
        gaps.push({
          from: last.seq + 1,
          to: seq - 1,
          problem: problem(
            atFileStart ? 'missing-file' : 'deleted',
            file.name,
            lineNumber,
            seq,
            `${range} missing ${where}: ${atFileStart ? 'a deleted file (missing day) or records' : 'records deleted'}`,
          ),
        });
      }
      seen.add(seq);
      last = { seq, hash: check.stored };
      lastPlace = `${file.name}:${lineNumber}`;
      lastLine = { file: file.name, line: lineNumber };
      if (record.action === RETENTION_ACTION && check.stored === check.computed) retention.add(record.input_summary, lastPlace);
      if (record.action === RECOVERY_ACTION) {
        for (const torn of record.input_summary?.torn_lines ?? []) recovered.add(torn);
        const gone = record.input_summary?.missing_records;
        if (gone) foundGone.push({ first: gone.first_seq, last: gone.last_seq, place: lastPlace });
        if (record.input_summary?.head) {
          problem(
            'head',
            file.name,
            lineNumber,
            seq,
            `a writer rebuilt the head here (${record.input_summary.head}): records cut off the end before this point cannot be ruled out`,
          );
        }
      }
    }
    if (pendingUnparseable) unparseable.push(pendingUnparseable);
  }

  // A gap whose records all turned up later was a reordering, already reported as such.
  for (const gap of gaps) {
    let allSeenLater = true;
    for (let seq = gap.from; seq <= gap.to && allSeenLater; seq++) allSeenLater = seen.has(seq);
    const explained = retention.explain(gap.from, gap.to);
    if (allSeenLater || explained.unexplained.length === 0) {
      report.problems.splice(report.problems.indexOf(gap.problem), 1);
      continue;
    }
    if (explained.retired.length > 0) {
      gap.problem.message += `; retention retired ${seqRanges(explained.retired)}; not retired by retention: ${seqRanges(explained.unexplained)} (deleted by something else)`;
    }
    // Still a problem (the records are gone), but say that a writer saw them vanish and when.
    for (const gone of foundGone.filter((found) => found.first <= gap.to && found.last >= gap.from)) {
      gap.problem.message += `; a writer found seq ${gone.first}..${gone.last} gone when it next wrote (recovery at ${gone.place})`;
    }
  }
  for (const line of unparseable) {
    const place = `${line.file}:${line.line}`;
    if (recovered.take(line.afterSeq, line.file, line.line))
      report.notes.push(`${place}: torn line from an interrupted write, recovered by the writer (not tampering)`);
    else if (line.lastInFile && !line.terminated)
      problem(
        'torn',
        line.file,
        line.line,
        null,
        'torn last line: a write was interrupted (not tampering); the next writer start records its recovery',
      );
    else problem('malformed', line.file, line.line, null, 'not a JSON record: the line was edited');
  }
  if (hashMatches === 0 && report.records > 0) {
    report.problems = report.problems.filter((found) => found.kind !== 'modified');
    problem(
      'wrong-key',
      null,
      null,
      null,
      `no record's hash matches with ${hasher.keyId ? `the key given (key id ${hasher.keyId})` : 'no key (AUDIT_HMAC_KEY unset)'}: wrong key, or the trail is keyed and no key was given`,
    );
  }
  if (head) checkEnd(head, last, lastLine, headHashSeen, report, problem);
  report.retired = retention.retired;
  report.notes.push(...retention.notes(head?.start ?? null));
  noteDaysWithoutFile(report);
  return report;
}

function loadHead(
  dir: string,
  options: VerifyOptions,
  report: VerifyReport,
  problem: (kind: ProblemKind, file: null, line: null, seq: null, message: string) => void,
): TrailHead | null {
  if (options.headPath === null) {
    report.notes.push('head not checked (--no-head): records cut off the end would not be detected');
    return null;
  }
  const path = options.headPath ?? join(dir, 'audit.head.json');
  // Read before any trail file, so the files can only have grown past it. A writer rewriting the
  // head at this instant can make one read see half of it: read again before calling it damaged.
  let read = readTrailHead(path, options.hasher);
  for (let attempt = 0; attempt < 3 && read.status === 'invalid' && read.head?.key_id === options.hasher.keyId; attempt++) {
    read = readTrailHead(path, options.hasher);
  }
  if (read.status === 'ok') return read.head;
  if (read.status === 'missing') problem('head', null, null, null, `head file ${path} is missing: records cut off the end cannot be ruled out`);
  else if (read.head && read.head.key_id !== options.hasher.keyId) problem('wrong-key', null, null, null, read.reason);
  else problem('head', null, null, null, `head file ${path}: ${read.reason} (edited?)`);
  return null;
}

function checkEnd(
  head: TrailHead,
  last: ChainLink,
  lastLine: { file: string; line: number } | null,
  headHashSeen: string | null,
  report: VerifyReport,
  problem: (kind: ProblemKind, file: string | null, line: number | null, seq: number | null, message: string) => void,
): void {
  if (last.seq < head.last.seq) {
    const where = lastLine ? `${lastLine.file}:${lastLine.line}` : 'no record';
    problem(
      'truncated',
      lastLine?.file ?? head.file,
      (lastLine?.line ?? 0) + 1,
      last.seq + 1,
      `the trail ends at seq ${last.seq} (${where}) but the head says seq ${head.last.seq} in ${head.file}: seq ${last.seq + 1}..${head.last.seq} cut off the end`,
    );
  } else if (headHashSeen !== head.last.hash) {
    problem('head', head.file, null, head.last.seq, `seq ${head.last.seq} does not have the hash the head recorded: the trail was rewritten`);
  } else if (last.seq > head.last.seq) {
    report.notes.push(
      `${last.seq - head.last.seq} record(s) after the head's seq ${head.last.seq}: a writer is still writing, or stopped before its head caught up (not a problem: the records chain)`,
    );
  }
}

/** Like CloudTrail's "no log files" ranges: days between the first and last file with no file. Informational; the chain decides. */
function noteDaysWithoutFile(report: VerifyReport): void {
  const days = [...new Set(report.files.map((file) => Date.parse(file.name.slice(6, 16))))].filter(Number.isFinite).sort((a, b) => a - b);
  const date = (day: number): string => new Date(day).toISOString().slice(0, 10);
  // One note per stretch without files, not per day: a planted file dated 0000-01-01 would otherwise give 740,000.
  for (let index = 1; index < days.length; index++) {
    const first = days[index - 1]! + DAY_MS;
    const last = days[index]! - DAY_MS;
    if (first === last) report.notes.push(`no file for ${date(first)}`);
    else if (first < last) report.notes.push(`no file for ${date(first)}..${date(last)} (${(last - first) / DAY_MS + 1} days)`);
  }
}

const DAY_MS = 86_400_000;

/**
 * The file's lines. One gone since the listing but found under another name
 * by its first record (logrotate renamed or compressed it meanwhile) is read
 * there. One that cannot be opened or read to its end (a planted link or
 * FIFO, which is never followed or waited on; a damaged gzip; a file gone
 * for good) is a problem of the report, not a crash.
 */
async function* linesOrProblem(
  dir: string,
  file: TrailFile,
  unreadable: (why: string) => void,
  moved: (to: string) => void,
): AsyncGenerator<TrailLine> {
  let reading = file;
  // logrotate shifts every numbered copy at once (.1.gz becomes .2.gz): the name listed may now hold another file.
  if (file.before !== null && !sameLink(firstLinkOf(file.path), file.before)) reading = renamedFile(dir, file) ?? file;
  if (reading !== file) moved(reading.name);
  for (let search = 1; ; search++) {
    try {
      yield* readTrailLines(reading);
      return;
    } catch (error) {
      // ENOENT comes from the open, before any line: nothing was read yet, so the file can be read again elsewhere
      // (a few times: under a rotation it can move again between the search and the open).
      const renamed = search <= 3 && (error as NodeJS.ErrnoException).code === 'ENOENT' ? renamedFile(dir, file) : undefined;
      if (!renamed) return unreadable(error instanceof Error ? error.message : String(error));
      moved(renamed.name);
      reading = renamed;
    }
  }
}

/** Where `file` is now, found by its first record, if it was renamed since it was listed. */
function renamedFile(dir: string, file: TrailFile): TrailFile | undefined {
  return listTrailFiles(dir).find((other) => other.name !== file.name && sameLink(other.before, file.before));
}

/**
 * The torn lines writers closed off, from their `recovery` records. A line
 * recorded with `after_seq` is known by the record before it, which no
 * rename or compression changes, and each entry accounts for one line only:
 * a line put in at the same file name and line number after logrotate made a
 * new file there is not taken for it. Entries of writers before `after_seq`
 * are known by file name and line number, as they were written.
 */
class RecoveredTornLines {
  private readonly afterSeq = new Map<number, number>();
  private readonly byPlace = new Set<string>();

  add(torn: { file: string; line: number; after_seq?: number }): void {
    if (typeof torn.after_seq === 'number') this.afterSeq.set(torn.after_seq, (this.afterSeq.get(torn.after_seq) ?? 0) + 1);
    else this.byPlace.add(`${torn.file}:${torn.line}`);
  }

  /** True, once, for a line after the record `afterSeq` that a writer recovered. */
  take(afterSeq: number, file: string, line: number): boolean {
    const count = this.afterSeq.get(afterSeq) ?? 0;
    if (count > 0) {
      this.afterSeq.set(afterSeq, count - 1);
      return true;
    }
    return this.byPlace.has(`${file}:${line}`);
  }
}
