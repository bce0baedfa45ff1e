import { join } from 'node:path';
import type { AuditRecord } from '../record/audit-record.js';
import type { TrailWriterStats } from './trail-writer-stats.js';
import { ChainedLines, type ChainHasher, type ChainLink } from './hash-chain.js';
import { PartialWriteError, type JsonlFileSink } from './jsonl-file-sink.js';
import { statOrNull, type TrailEndTracker } from './trail-end-tracker.js';
import { parseTrailFileName, trailFileName, type TrailFileName } from './trail-file-name.js';
import type { TrailFsync } from './trail-fsync.js';
import { hasFindings, type RecoveryFindings } from './trail-recovery.js';
import { retentionRecord } from './retention-record.js';
import { compressFiles, planRetention, retireFiles } from './trail-retention.js';
import type { TrailWriterConfig } from './trail-writer-config.js';
import { DEFAULT_BACKLOG_MAX_BYTES, UnwrittenBacklog } from './unwritten-backlog.js';
import { recoveryRecord } from './writer-records.js';
import { asError } from '../as-error.js';

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
 * sure the file ends where the trail does (see TrailEndTracker), repairing if not.
 * Calls back each caller once its line reached the file, or with the error; failed
 * records go to the backlog, written late after an `audit_gap` record once a write succeeds.
 */
export class TrailCommitter {
  private readonly backlog: UnwrittenBacklog;
  private retentionCheckedFor: string | null = null;
  /** Set while retention writes its own record, so that commit does not start another run. */
  private retaining = false;
  /** The current file's parsed name, kept while the current file stays the same. */
  private currentName: TrailFileName | null = null;
  /** The run being written; byte 0 is kept for the newline that closes a torn line. */
  private readonly lines = new ChainedLines();

  constructor(
    private readonly config: TrailWriterConfig,
    private readonly hasher: ChainHasher,
    private readonly sink: JsonlFileSink,
    private readonly end: TrailEndTracker,
    private readonly fsync: TrailFsync,
    private readonly stats: TrailWriterStats,
    private readonly now: () => Date,
  ) {
    this.backlog = new UnwrittenBacklog(config.backlogMaxBytes ?? DEFAULT_BACKLOG_MAX_BYTES);
  }

  /** Whether records failed closed are still waiting to be written late. */
  get hasBacklog(): boolean {
    return !this.backlog.isEmpty;
  }

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
    if (!this.backlog.isEmpty) (own ??= []).push(...this.backlog.records(this.now().toISOString(), service).map(ownRecord));
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
    this.retain(service);
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
  private writeRun(
    target: string,
    targetIno: number | null,
    closeTorn: boolean,
    link: ChainLink,
    entries: PendingRecord[],
    from: number,
    count: number,
  ): Error | null {
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
    // Synced before the head names them: a head on disk ahead of the file on disk would read, after a power cut, as records cut off.
    if (whole > 0) this.fsync.afterWrite();
    if (written > 0) this.end.advance(target, ino, end, whole, link, failure !== null || this.fsync.mode === 'always' || newFile);
    for (let index = from; index < from + whole; index++) {
      const entry = entries[index]!;
      if (entry.done) settle(entry);
      else this.backlog.written(entry.record);
    }
    if (failure) {
      for (let index = from + whole; index < from + count; index++) this.noteUnwritten(entries[index]!, failure);
      // Part of a line may have reached the file: the next write, under this lock too, looks at the file first.
      this.end.recheck();
    }
    return failure;
  }

  /** Fails a caller's record that could not be written (fail closed) and keeps it to be written late. */
  noteUnwritten(entry: PendingRecord, error: Error): void {
    if (!entry.done) return;
    this.backlog.add(entry.record, error);
    settle(entry, error);
  }

  /**
   * Once per new current file (a new day or part): compress and retire old files. The `retention` record goes into
   * the trail before any file is deleted (a crash in between leaves the files, not an unexplained gap), and the
   * head's start anchor moves only past what this run retired.
   */
  private retain(service: string): void {
    const days = this.config.retentionDays;
    const file = this.end.position?.file;
    if (!days || !file || this.retaining || this.retentionCheckedFor === file) return;
    this.retentionCheckedFor = file;
    this.retaining = true;
    try {
      const plan = planRetention(this.config.directory, file, this.now(), days, this.end.start);
      if (plan.retire.length > 0) {
        if (!this.commit([ownRecord(retentionRecord(this.now().toISOString(), service, days, plan))])) {
          this.retentionCheckedFor = null; // nothing deleted without its record: try again at the next commit
          return;
        }
        const start = retireFiles(this.config.directory, plan);
        if (start.seq !== this.end.start.seq) this.end.moveStart(start);
      }
      compressFiles(this.config.directory, plan);
    } catch (error) {
      process.stderr.write(`audit: retention failed: ${(error as Error).message}\n`);
    } finally {
      this.retaining = false;
    }
  }
}

function ownRecord(record: AuditRecord): PendingRecord {
  return { record, done: null };
}
