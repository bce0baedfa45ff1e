import { join } from 'node:path';
import type { AuditRecord } from './audit-record.js';
import type { TrailWriterStats } from './chained-trail-writer.js';
import { ChainedLines, type ChainHasher, type ChainLink } from './hash-chain.js';
import { PartialWriteError, type JsonlFileSink } from './jsonl-file-sink.js';
import { statOrNull, type TrailEnd } from './trail-end.js';
import { parseTrailFileName, trailFileName, type TrailFileName } from './trail-file-name.js';
import type { TrailFsync } from './trail-fsync.js';
import { hasFindings, type RecoveryFindings } from './trail-recovery.js';
import { applyRetention } from './trail-retention.js';
import type { TrailWriterConfig } from './trail-writer-config.js';
import { gapRecord, GAP_ACTION, recoveryRecord, type WriteGap } from './writer-events.js';
import { asError } from './as-error.js';

/** Called once per appended record: without an error once its line is written, or with the write error. */
export type AppendCallback = (error?: Error) => void;

/** A line to write: a caller's record, with its callback until settled, or one the writer adds (recovery, gap), with none. */
export interface PendingRecord {
  record: AuditRecord;
  done: AppendCallback | null;
}

/**
 * Calls the entry's callback, once: it is cleared first. A callback that throws must not stop the
 * settling of the rest of the batch, so its error is rethrown on its own tick (uncaught, as an
 * unhandled rejection of the promise form would be).
 */
export function settle(entry: PendingRecord, error?: Error): void {
  const done = entry.done;
  if (!done) return;
  entry.done = null;
  try {
    done(error);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}

/**
 * Writes one batch under the lock: the writer's own records first (recovery,
 * gap), then each run of records that goes to one file (the record's UTC
 * day; a new part past the size cap), chained from where the trail ends and
 * written with one write from one reused Buffer. Before writing to a file it makes
 * sure the file ends where the trail does (see TrailEnd), repairing if not.
 * Calls back each caller once its line reached the file, or with the error; failed
 * records are counted for the next `audit_gap` record.
 */
export class TrailCommitter {
  private gap: WriteGap | null = null;
  private retentionCheckedFor: string | null = null;
  /** The current file's parsed name, kept while the current file stays the same. */
  private currentName: TrailFileName | null = null;
  /** The run being written; byte 0 is kept for the newline that closes a torn line. */
  private readonly lines = new ChainedLines();

  constructor(private readonly config: TrailWriterConfig, private readonly hasher: ChainHasher, private readonly sink: JsonlFileSink,
    private readonly end: TrailEnd, private readonly fsync: TrailFsync, private readonly stats: TrailWriterStats, private readonly now: () => Date) {}

  /**
   * Settles every caller's record it writes or fails; false if a write failed. Throws only before writing
   * anything, or on an unexpected error after a write (the trail's end then still says what was written).
   */
  commit(batch: PendingRecord[]): boolean {
    this.stats.commits++;
    const service = batch[0]?.record.service ?? 'mcp-audit';
    let own: PendingRecord[] | null = null;
    let tornToClose: string | null = null;
    if (this.end.position === null) {
      // Just took the lock: read where the trail ends. Holding it since, nobody else wrote: no need to read it again.
      const findings = this.end.load();
      tornToClose = findings.torn_lines?.at(-1)?.file ?? null;
      if (hasFindings(findings)) (own ??= []).push(ownRecord(recoveryRecord(this.now().toISOString(), service, findings)));
    }
    if (this.gap) (own ??= []).push(ownRecord(gapRecord(this.now().toISOString(), service, this.gap)));
    // The writer's own records first; the common case, a batch of callers' records only, is written as it is.
    let entries = own ? own.concat(batch) : batch;

    const limited = (this.config.maxFileBytes ?? 0) > 0;
    let repairs = 0;
    let index = 0;
    while (index < entries.length) {
      let position = this.end.position!;
      const lines = this.lines;
      lines.reset(1);
      let link = this.hasher.chainInto(entries[index]!.record, position.link, lines);
      const firstBytes = limited ? lines.length - 1 : 0;
      const target = this.fileFor(entries[index]!.record.timestamp, position.file, position.offset, firstBytes);
      // The target must end where the trail does; if not, a writer died part-way (or the file was moved): repair, re-plan.
      let targetIno: number | null = position.ino;
      if (this.end.needsCheck(target)) {
        const { matches, found } = this.end.check(target);
        if (!matches && repairs++ < 2) {
          const more: RecoveryFindings = {};
          this.end.reconcile(more);
          tornToClose = more.torn_lines?.at(-1)?.file ?? tornToClose;
          if (hasFindings(more)) {
            entries = [ownRecord(recoveryRecord(this.now().toISOString(), service, more)), ...entries.slice(index)];
            index = 0;
          }
          continue;
        }
        if (!matches) {
          this.end.continueAt(target, found);
          position = this.end.position!;
        }
        targetIno = found?.ino ?? null;
      }
      // One run: the entries that go to `target`, chained into `lines`.
      let count = 1;
      let size = (target === position.file ? position.offset : 0) + firstBytes;
      while (index + count < entries.length) {
        const entry = entries[index + count]!;
        const lineStart = lines.length;
        const next = this.hasher.chainInto(entry.record, link, lines);
        const bytes = limited ? lines.length - lineStart : 0;
        if (this.fileFor(entry.record.timestamp, target, size, bytes) !== target) {
          lines.truncate(lineStart);
          break;
        }
        link = next;
        size += bytes;
        count++;
      }
      const closeTorn = tornToClose === target;
      if (closeTorn) tornToClose = null;
      const failure = this.writeRun(target, targetIno, closeTorn, link, entries, index, count);
      if (failure) {
        for (let rest = index + count; rest < entries.length; rest++) this.noteUnwritten(entries[rest]!, failure);
        return false;
      }
      index += count;
    }
    this.retain();
    return true;
  }

  /**
   * The file for a record stamped `timestamp` (of `bytes`, counted only with a size cap) after `file` ends at
   * `offset`: the record's UTC day — or the current file's, if a later day has begun: a file is never reopened
   * for an earlier day.
   */
  private fileFor(timestamp: string, file: string | null, offset: number, bytes: number): string {
    if (file !== null && this.currentName?.name !== file) this.currentName = parseTrailFileName(file);
    const current = file === null ? null : this.currentName;
    if (!current) return trailFileName(timestamp.slice(0, 10), 0);
    if (!timestamp.startsWith(current.date)) {
      const recordDate = timestamp.slice(0, 10);
      if (recordDate > current.date) return trailFileName(recordDate, 0);
    }
    const limit = this.config.maxFileBytes ?? 0;
    if (limit > 0 && offset > 0 && offset + bytes > limit) return trailFileName(current.date, current.part + 1);
    return current.name;
  }

  /**
   * Writes `entries[from, from + count)`, chained into `lines` (ending at `link`), to `target`, after a newline if
   * `closeTorn`, and moves the trail's end past what reached the file. Settles the callers of the lines written
   * or failed; returns the error, if any.
   */
  private writeRun(target: string, targetIno: number | null, closeTorn: boolean, link: ChainLink, entries: PendingRecord[], from: number, count: number): Error | null {
    if (closeTorn) this.lines.setByte(0, 0x0a);
    const prefixBytes = closeTorn ? 1 : 0;
    const data = this.lines.bytes(1 - prefixBytes);
    const position = this.end.position!;
    const newFile = position.file !== target;
    let ino: number;
    let written: number;
    let failure: Error | null = null;
    try {
      if (newFile) this.fsync.beforeSwitch();
      ino = this.sink.append(target, data, targetIno);
      written = data.length;
      this.stats.writes++;
    } catch (error) {
      failure = asError(error);
      written = error instanceof PartialWriteError ? error.written : 0;
      ino = statOrNull(join(this.config.directory, target))?.ino ?? 0;
    }
    let whole = count;
    let end = written;
    if (failure) {
      // Whole lines that reached the file are part of the trail, even if the rest failed: chain them again to know which.
      end = Math.min(written, prefixBytes);
      link = position.link;
      for (whole = 0; whole < count; whole++) {
        const chained = this.hasher.chain(entries[from + whole]!.record, link);
        const bytes = Buffer.byteLength(chained.line);
        if (end + bytes > written) break;
        end += bytes;
        link = chained.link;
      }
    }
    // A new file is noted in the head at once, so that retention (which may compress the head's file) and recovery
    // never see a head pointing at the previous file; a failed write too, since the lock is let go next.
    // The one hook of signed checkpoints (src/audit/checkpoint/): the whole lines that reached the file, still under the lock
    // (before advance(), which moves `position` on in place).
    if (end > 0) this.config.checkpointer?.written(target, newFile ? 0 : position.offset, data.subarray(0, end));
    if (written > 0) this.end.advance(target, ino, end, whole, link, failure !== null || this.fsync.mode === 'always' || newFile);
    if (whole > 0) this.fsync.afterWrite();
    for (let index = from; index < from + whole; index++) {
      const entry = entries[index]!;
      if (entry.done) settle(entry);
      else if (entry.record.action === GAP_ACTION) this.gap = null;
    }
    if (failure) for (let index = from + whole; index < from + count; index++) this.noteUnwritten(entries[index]!, failure);
    return failure;
  }

  /** Counts a caller's record that could not be written, for the next `audit_gap` record, and fails it. */
  private noteUnwritten(entry: PendingRecord, error: Error): void {
    if (!entry.done) return;
    const timestamp = entry.record.timestamp;
    this.gap = this.gap
      ? { ...this.gap, records: this.gap.records + 1, last_timestamp: timestamp }
      : { records: 1, first_timestamp: timestamp, last_timestamp: timestamp, error: error.message };
    settle(entry, error);
  }

  /** Once per new current file (a new day or part): compress and delete old files, and move the head's start anchor. */
  private retain(): void {
    const days = this.config.retentionDays;
    const file = this.end.position?.file;
    if (!days || !file || this.retentionCheckedFor === file) return;
    this.retentionCheckedFor = file;
    try {
      const result = applyRetention(this.config.directory, file, this.now(), days);
      if (result.start) this.end.moveStart(result.start);
    } catch (error) {
      process.stderr.write(`audit: retention failed: ${(error as Error).message}\n`);
    }
  }
}

function ownRecord(record: AuditRecord): PendingRecord {
  return { record, done: null };
}
