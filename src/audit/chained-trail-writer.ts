import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditFileNameFor, type AuditRecord } from './audit-record.js';
import { CrossProcessLock } from './cross-process-lock.js';
import { ChainHasher, GENESIS, type ChainLink } from './hash-chain.js';
import { JsonlFileSink, PartialWriteError } from './jsonl-file-sink.js';
import { parseTrailFileName, trailFileName, type TrailFileName } from './trail-file-name.js';
import { readTrailHead, TrailHeadFile, type TrailHead } from './trail-head.js';
import { hasFindings, linkBefore, listAllTrailFiles, rebuildPosition, reconcileWithFiles, type RecoveryFindings, type TrailPosition } from './trail-recovery.js';
import { applyRetention } from './trail-retention.js';
import { gapRecord, GAP_ACTION, recoveryRecord, type WriteGap } from './writer-events.js';
import type { TrailWriterConfig, FsyncMode } from './trail-writer-config.js';

/** How often a writer holding the lock looks whether another process is waiting for it, and if so lets it go. */
const LOCK_HOLD_MAX_MS = 20;
/**
 * How long a writer keeps the lock after its last commit, for the next one: retaking it (mkdir, reading and
 * checking the head, rmdir later) costs several times a commit. As long as a busy writer may already keep a
 * waiting process waiting (LOCK_HOLD_MAX_MS), so a waiter's worst case does not grow. The flip side: a writer
 * SIGKILLed while lingering leaves the lock to go stale (AUDIT_LOCK_STALE_MS) before others can write, the
 * same exposure as a kill during a busy stretch, now also for a writer seeing one call every few ms.
 */
const LOCK_LINGER_MS = LOCK_HOLD_MAX_MS;
/**
 * The longest a writer keeps the lock even when no process noted that it waits (in case the note could not be
 * written). Under proper-lockfile's first mtime refresh (at least 1 s after taking it), so that timer never runs.
 */
const LOCK_HOLD_UNCHECKED_MAX_MS = 500;
/**
 * While it holds the lock, how often the writer rewrites a lagging head (it always does when it lets the lock
 * go) and stats the current file to notice a move. The same period as the waiters check: one head write and
 * one stat per 20 ms are a negligible cost, and the period bounds what a crash can leave unnoted in the head
 * (see the class comment). Done by the linger timer, off the path of a caller's commit; a commit does it
 * itself only when the timer is late by as much again (an event loop blocked by other work).
 */
const UPKEEP_MS = LOCK_HOLD_MAX_MS;
const UPKEEP_LATE_MS = 2 * UPKEEP_MS;

/** A line to write: a caller's record, settled once written or failed, or one the writer adds (recovery, gap), with no callbacks. */
interface PendingRecord {
  record: AuditRecord;
  resolve: (() => void) | null;
  reject: ((error: Error) => void) | null;
}

/**
 * Writes audit records as a hash chain (see hash-chain.ts) into daily files,
 * safely shared by several processes.
 *
 * Group commit: records appended while the event loop is busy go out at the
 * next check phase under ONE cross-process lock and, per file, ONE write.
 * Under the lock the writer reads the sealed head (where the trail ends),
 * decides each record's file, computes `seq`/`prev_hash`/`hash` — so chain
 * order is file order, whatever the number of processes — and writes. If the
 * lock is busy the batch waits and keeps growing.
 *
 * The head (trail-head.ts) is rewritten whenever the lock is let go (idle,
 * handed to a waiting process, the 500 ms cap, flushSync/close, which the
 * exit handler calls, a failed commit), when a write starts a new file, after
 * a failed write, and every UPKEEP_MS (20 ms) while the lock is held;
 * with AUDIT_FSYNC=always after every commit, fdatasynced. So another
 * process always finds the head current when it takes the lock. A crash
 * (SIGKILL, power) can leave it lagging by the records of the last 20 ms
 * (40 ms at most, see UPKEEP_LATE_MS): those records are in the file, chained; the next writer takes them
 * over (a `recovery` record with `adopted_records`) and `verify` notes them
 * as records after the head. What the lag costs: a cut of exactly those
 * records, made after the crash and before any writer runs again, is not
 * detectable (with a per-commit head it was the one record of an interrupted
 * commit).
 *
 * A file moved away (logrotate, a shipper) is noticed by its inode when the
 * writer takes the lock, on reopen() (SIGHUP: the prompt way), when it starts
 * a new file, and every UPKEEP_MS while it keeps the lock — not at every
 * commit, which cost a stat each. Records committed
 * between a move and its check go to the moved file through the open
 * descriptor: chained and kept, nothing lost; the writer then writes a
 * `recovery` record with `moved_file` and continues the chain in a new file.
 *
 * A record's promise settles once its line is in the kernel (and on disk with
 * AUDIT_FSYNC=always), or rejects with the write error: the caller fails
 * closed. Failed records are counted and an `audit_gap` record says so as
 * soon as a write succeeds again. When the files do not end where the head
 * says (a crash, a torn line, a moved file), the writer repairs what it can
 * and writes a `recovery` record first.
 */
export class ChainedTrailWriter {
  readonly directory: string;
  /** `lockHandovers`: times it let the lock go mid-stretch because another process noted that it waits. */
  readonly stats = { commits: 0, writes: 0, syncs: 0, headWrites: 0, fileChecks: 0, locksTaken: 0, lockWaits: 0, lockHandovers: 0 };
  private readonly hasher: ChainHasher;
  private readonly headPath: string;
  /** Open only while the lock is held: released with it. */
  private readonly headFile: TrailHeadFile;
  private readonly fsync: FsyncMode;
  private readonly sink: JsonlFileSink;
  private readonly lock: CrossProcessLock;
  private pending: PendingRecord[] = [];
  /** The previous batch's array, emptied, to take appends while the current one is committed. */
  private spare: PendingRecord[] = [];
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  private gap: WriteGap | null = null;
  private retentionCheckedFor: string | null = null;
  private checkWanted = false;
  private closed = false;
  /** Since when this writer holds the lock; null while it does not. */
  private heldSince: number | null = null;
  /** When the writer last looked for processes waiting on the lock (or took it). */
  private waitersCheckedAt = 0;
  /** Lets the lock go LOCK_LINGER_MS after `lastCommitAt`: armed once, re-armed when it fires early, not reset per commit. */
  private releaseTimer: NodeJS.Timeout | null = null;
  private lastCommitAt = 0;
  private yieldUntil = 0;
  /**
   * Known only while the lock is held (null until the first commit under it reads the head): where the trail
   * ends, updated in place by each write, and the start anchor. Nobody else writes meanwhile.
   */
  private position: TrailPosition | null = null;
  private start: ChainLink = GENESIS;
  /** The head on disk lags behind `position` (only while the lock is held); when it was last current. */
  private headLags = false;
  private headSavedAt = 0;
  /** The current file's parsed name, kept while the current file stays the same. */
  private currentName: TrailFileName | null = null;
  /** When the current file was last found, by a stat under the lock, to be where the position says. */
  private fileCheckedAt = 0;

  constructor(private readonly config: TrailWriterConfig) {
    this.directory = config.directory;
    this.hasher = config.hasher ?? new ChainHasher(undefined);
    this.headPath = config.headPath ?? join(config.directory, 'audit.head.json');
    this.headFile = new TrailHeadFile(this.headPath);
    this.fsync = config.fsync ?? 'off';
    this.sink = new JsonlFileSink(config.directory);
    this.lock = new CrossProcessLock(join(config.directory, 'audit.lock'), config.lockStaleMs ?? 10_000);
  }

  /**
   * Creates the directory and today's file now, throwing if that is impossible
   * or if the head was sealed with another key; then checks the trail's end
   * under the lock.
   */
  prepare(): void {
    this.sink.prepare(auditFileNameFor(this.now().toISOString()));
    const head = readTrailHead(this.headPath, this.hasher);
    if (head.status === 'invalid' && head.head && head.head.key_id !== this.hasher.keyId) {
      throw new Error(`audit head ${this.headPath}: ${head.reason}`);
    }
    this.checkWanted = true;
    this.scheduleFlush();
  }

  append(record: AuditRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit writer for ${this.directory} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.scheduleFlush();
    });
  }

  /**
   * Writes everything pending now, waiting synchronously for the lock, and brings the head up to date
   * (exit handlers, where the timer that would let the lock go never runs; shutdown). Never throws.
   */
  flushSync(): void {
    if (this.pending.length > 0) this.commitPendingSync();
    this.saveHead();
  }

  private commitPendingSync(): void {
    let acquired = this.heldSince !== null;
    try {
      if (!acquired) acquired = this.lock.acquireBlocking((this.config.lockStaleMs ?? 10_000) + 1000);
    } catch (error) {
      this.rejectPending(error);
      return;
    }
    if (!acquired) {
      this.rejectPending(new Error(`audit lock ${this.lock.path} stayed busy`));
      return;
    }
    if (this.heldSince === null) this.lockTaken();
    this.commitLocked();
  }

  /** Closes the file so the next write reopens it by path: for SIGHUP after logrotate moved it. */
  reopen(): void {
    this.sink.reopen();
    this.fileCheckedAt = 0;
  }

  close(): void {
    this.flushSync();
    this.closed = true;
    this.releaseLock();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.dirty) this.syncNow();
    this.sink.close();
  }

  private now(): Date {
    return this.config.now?.() ?? new Date();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.retryTimer) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.retryTimer = null;
    if (this.closed || (this.pending.length === 0 && !this.checkWanted)) return;
    this.checkWanted = false;
    if (this.heldSince === null && Date.now() < this.yieldUntil) {
      // Just let the lock go after holding it long: give other processes a turn.
      this.retryTimer = setTimeout(this.flush, 1);
      return;
    }
    let acquired = this.heldSince !== null;
    try {
      if (!acquired) acquired = this.tryLock();
    } catch (error) {
      this.rejectPending(error);
      return;
    }
    if (acquired && this.heldSince === null) this.lockTaken();
    if (!acquired) {
      // Another process is writing: wait a little; appends meanwhile join this batch.
      this.stats.lockWaits++;
      this.retryTimer = setTimeout(this.flush, 1);
      return;
    }
    this.commitLocked();
  };

  private tryLock(): boolean {
    try {
      return this.lock.tryAcquire();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      return this.lock.tryAcquire();
    }
  }

  /** Commits the pending batch; the lock is held on entry and released here. */
  private commitLocked(): void {
    const batch = this.pending;
    this.pending = this.spare;
    let committed = false;
    try {
      committed = this.commit(batch);
    } catch (error) {
      for (const entry of batch) entry.reject?.(asError(error));
    }
    batch.length = 0;
    this.spare = batch;
    // Keep the lock (and what we know of the trail's end) for the next commit of a busy stretch;
    // let it go once idle, or every LOCK_HOLD_MAX_MS if another process waits for its turn.
    if (!committed || this.closed || this.othersWaitTheirTurn()) {
      this.releaseLock();
      this.yieldUntil = Date.now() + 2;
    } else {
      this.lastCommitAt = Date.now();
      if (this.headLags && this.lastCommitAt - this.headSavedAt >= UPKEEP_LATE_MS) this.saveHead();
      if (!this.releaseTimer) this.armReleaseTimer(LOCK_LINGER_MS);
    }
  }

  private lockTaken(): void {
    this.heldSince = Date.now();
    this.stats.locksTaken++;
  }

  private armReleaseTimer(delayMs: number): void {
    this.releaseTimer = setTimeout(this.lingerOver, delayMs);
    this.releaseTimer.unref();
  }

  private readonly lingerOver = (): void => {
    this.releaseTimer = null;
    const now = Date.now();
    const idle = now - this.lastCommitAt;
    if (idle >= LOCK_LINGER_MS) {
      this.releaseLock();
      return;
    }
    // Still in a busy stretch: the periodic upkeep, here rather than in a caller's commit.
    if (this.headLags && now - this.headSavedAt >= UPKEEP_MS) this.saveHead();
    if (now - this.fileCheckedAt >= UPKEEP_MS) this.checkCurrentFile();
    this.armReleaseTimer(LOCK_LINGER_MS - idle);
  };

  /** Whether the current file still ends where the position says; if not, the next commit repairs (it stats again). */
  private checkCurrentFile(): void {
    const position = this.position;
    if (!position?.file) return;
    const found = this.statTarget(position.file);
    this.fileCheckedAt = found && found.ino === position.ino && found.size === position.offset ? Date.now() : 0;
  }

  /** Looked at once every LOCK_HOLD_MAX_MS of holding: a stat, not a release and re-acquire when nobody waits. */
  private othersWaitTheirTurn(): boolean {
    const now = Date.now();
    if (now - this.heldSince! >= LOCK_HOLD_UNCHECKED_MAX_MS) return true;
    const since = Math.max(this.waitersCheckedAt, this.heldSince!);
    if (now - since < LOCK_HOLD_MAX_MS) return false;
    this.waitersCheckedAt = now;
    // A margin of one period for clock steps between processes; a false yes only costs a pause.
    const waited = this.lock.waitedOnSince(since - LOCK_HOLD_MAX_MS);
    if (waited) this.stats.lockHandovers++;
    return waited;
  }

  private releaseLock(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    if (this.heldSince === null) return;
    // Before anyone else can take the lock: the next holder trusts the head.
    this.saveHead();
    this.heldSince = null;
    this.position = null;
    this.headFile.close();
    this.lock.unlock();
  }

  /**
   * Under the lock. Settles every caller's record it writes or fails; false if a write failed. Throws only
   * before writing anything, or on an unexpected error after a write (the position then still says what was written).
   */
  private commit(batch: PendingRecord[]): boolean {
    this.stats.commits++;
    const service = batch[0]?.record.service ?? 'mcp-audit';
    let own: PendingRecord[] | null = null;
    let tornToClose: string | null = null;
    if (this.position === null) {
      // Just took the lock: read where the trail ends. Holding it since, nobody else wrote: no need to read it again.
      const loaded = this.loadPosition();
      this.position = loaded.position;
      this.start = loaded.start;
      // Just read and matching the files, the head is current; anything else (none yet, repaired) is rewritten at the first write.
      this.fileCheckedAt = this.headSavedAt = loaded.headCurrent ? Date.now() : 0;
      tornToClose = loaded.findings.torn_lines?.at(-1)?.file ?? null;
      if (hasFindings(loaded.findings)) (own ??= []).push(this.own(recoveryRecord(this.now().toISOString(), service, loaded.findings)));
    }
    if (this.gap) (own ??= []).push(this.own(gapRecord(this.now().toISOString(), service, this.gap)));
    // The writer's own records first; the common case, a batch of callers' records only, is written as it is.
    let entries = own ? own.concat(batch) : batch;

    const limited = (this.config.maxFileBytes ?? 0) > 0;
    let repairs = 0;
    let index = 0;
    while (index < entries.length) {
      let position: TrailPosition = this.position!;
      const first = this.hasher.chain(entries[index]!.record, position.link);
      const target = this.fileFor(entries[index]!.record.timestamp, position.file, position.offset, limited ? Buffer.byteLength(first.line) : 0);
      // The target must end where the head says; if not, a writer died part-way (or the file was moved): repair, re-plan.
      // Holding the lock, only a move or an outside edit can change the current file: looked at now and then (class comment).
      let targetIno: number | null = position.ino;
      if (target !== position.file || Date.now() - this.fileCheckedAt >= UPKEEP_LATE_MS) {
        const found = this.statTarget(target);
        const mismatch = target === position.file
          ? !found || found.ino !== position.ino || found.size !== position.offset
          : found !== null && found.size !== 0;
        if (!mismatch) {
          this.fileCheckedAt = Date.now();
        } else if (repairs++ < 2) {
          const more: RecoveryFindings = {};
          this.position = reconcileWithFiles(this.directory, toHead(position, this.start, this.hasher, this.now()), this.hasher, more);
          tornToClose = more.torn_lines?.at(-1)?.file ?? tornToClose;
          if (hasFindings(more)) {
            entries = [this.own(recoveryRecord(this.now().toISOString(), service, more)), ...entries.slice(index)];
            index = 0;
          }
          continue;
        } else {
          // Still not what we expect (replaced under us): continue the chain at the file's actual end.
          position = this.position = found
            ? { ...position, file: target, offset: found.size, lines: countLines(join(this.directory, target)), ino: found.ino }
            : { ...position, file: null, offset: 0, lines: 0, ino: 0 };
        }
        targetIno = found?.ino ?? null;
      }
      // One run: the entries that go to `target`, chained, as one string.
      let text = first.line;
      let link = first.link;
      let count = 1;
      let size = (target === position.file ? position.offset : 0) + (limited ? Buffer.byteLength(first.line) : 0);
      while (index + count < entries.length) {
        const entry = entries[index + count]!;
        const chained = this.hasher.chain(entry.record, link);
        const bytes = limited ? Buffer.byteLength(chained.line) : 0;
        if (this.fileFor(entry.record.timestamp, target, size, bytes) !== target) break;
        text += chained.line;
        link = chained.link;
        size += bytes;
        count++;
      }
      const prefix = tornToClose === target ? '\n' : '';
      if (prefix) tornToClose = null;
      const failure = this.writeRun(target, targetIno, prefix, text, link, entries, index, count);
      if (failure) {
        for (let rest = index + count; rest < entries.length; rest++) this.noteUnwritten(entries[rest]!, failure);
        return false;
      }
      index += count;
    }
    this.retain();
    return true;
  }

  private own(record: AuditRecord): PendingRecord {
    return { record, resolve: null, reject: null };
  }

  private statTarget(target: string): { size: number; ino: number } | null {
    this.stats.fileChecks++;
    return statOrNull(join(this.directory, target));
  }

  /** Reads the head (or rebuilds it) and checks that the current file still ends where it says. */
  private loadPosition(): { position: TrailPosition; start: ChainLink; findings: RecoveryFindings; headCurrent?: boolean } {
    const findings: RecoveryFindings = {};
    const read = readTrailHead(this.headPath, this.hasher);
    if (read.status === 'ok') {
      const { head } = read;
      const found = statOrNull(join(this.directory, head.file));
      if (found && found.ino === head.ino && found.size === head.offset) {
        return { position: { link: head.last, file: head.file, offset: head.offset, lines: head.lines, ino: head.ino }, start: head.start, findings, headCurrent: true };
      }
      return { position: reconcileWithFiles(this.directory, head, this.hasher, findings), start: head.start, findings };
    }
    if (read.status === 'invalid' && read.head && read.head.key_id !== this.hasher.keyId) {
      throw new Error(`audit head ${this.headPath}: ${read.reason}`);
    }
    const files = listAllTrailFiles(this.directory);
    if (files.length === 0 || files.every((file) => !file.compressed && statOrNull(join(this.directory, file.name))?.size === 0)) {
      return { position: { link: GENESIS, file: null, offset: 0, lines: 0, ino: 0 }, start: GENESIS, findings };
    }
    findings.head = read.status === 'missing' ? 'head file missing' : `head file unusable: ${read.reason}`;
    return { position: rebuildPosition(this.directory, this.hasher, findings), start: linkBefore(this.directory, files[0]!), findings };
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
   * Writes `entries[from, from + count)`, chained into `text` (ending at `link`), to `target` after `prefix`, and
   * moves the position past what reached the file. Settles the callers of the lines written or failed; returns the error, if any.
   */
  private writeRun(target: string, targetIno: number | null, prefix: string, text: string, link: ChainLink, entries: PendingRecord[], from: number, count: number): Error | null {
    const data = Buffer.from(prefix + text);
    const position = this.position!;
    let ino: number;
    let written: number;
    let failure: Error | null = null;
    try {
      if (this.fsync === 'batch' && this.dirty && position.file !== target) this.syncNow();
      ino = this.sink.append(target, data, targetIno);
      written = data.length;
      this.stats.writes++;
    } catch (error) {
      failure = asError(error);
      written = error instanceof PartialWriteError ? error.written : 0;
      ino = statOrNull(join(this.directory, target))?.ino ?? 0;
    }
    let whole = count;
    let end = written;
    if (failure) {
      // Whole lines that reached the file are part of the trail, even if the rest failed: chain them again to know which.
      end = Math.min(written, prefix.length);
      link = position.link;
      for (whole = 0; whole < count; whole++) {
        const chained = this.hasher.chain(entries[from + whole]!.record, link);
        const bytes = Buffer.byteLength(chained.line);
        if (end + bytes > written) break;
        end += bytes;
        link = chained.link;
      }
    }
    if (position.file === target) {
      position.offset += end;
      position.lines += whole;
      position.ino = ino;
      position.link = link;
    } else {
      this.position = { link, file: target, offset: end, lines: whole, ino };
    }
    if (written > 0) {
      this.headLags = true;
      // A new file is noted at once, so that retention (which may compress the head's file) and recovery
      // never see a head pointing at the previous file; a failed write too, since the lock is let go next.
      if (failure || this.fsync === 'always' || position.file !== target) this.saveHead();
    }
    if (whole > 0) this.afterWrite();
    for (let index = from; index < from + whole; index++) {
      const entry = entries[index]!;
      if (entry.resolve) entry.resolve();
      else if (entry.record.action === GAP_ACTION) this.gap = null;
    }
    if (failure) for (let index = from + whole; index < from + count; index++) this.noteUnwritten(entries[index]!, failure);
    return failure;
  }

  /** Counts a caller's record that could not be written, for the next `audit_gap` record, and rejects it. */
  private noteUnwritten(entry: PendingRecord, error: Error): void {
    if (!entry.reject) return;
    const timestamp = entry.record.timestamp;
    this.gap = this.gap
      ? { ...this.gap, records: this.gap.records + 1, last_timestamp: timestamp }
      : { records: 1, first_timestamp: timestamp, last_timestamp: timestamp, error: error.message };
    entry.reject(error);
  }

  /** Writes the head if it lags behind what this writer wrote. Only under the lock: `position` is known only then. */
  private saveHead(): void {
    if (!this.headLags || this.position === null) return;
    this.headLags = false;
    this.headSavedAt = Date.now();
    this.persistHead(this.position, this.start);
  }

  private persistHead(position: TrailPosition, start: ChainLink): void {
    this.stats.headWrites++;
    try {
      this.headFile.write(toHead(position, start, this.hasher, this.now()), this.hasher, this.fsync === 'always');
    } catch (error) {
      // The records are in the file; the next writer reconciles the lagging head with it.
      process.stderr.write(`audit: could not update the head ${this.headPath}: ${asError(error).message}\n`);
    }
  }

  private afterWrite(): void {
    if (this.fsync === 'always') {
      this.syncNow();
    } else if (this.fsync === 'batch') {
      this.dirty = true;
      this.syncTimer ??= setTimeout(() => {
        this.syncTimer = null;
        if (this.dirty && !this.closed) this.syncNow();
      }, this.config.fsyncIntervalMs ?? 1000);
    }
  }

  private syncNow(): void {
    try {
      this.sink.sync();
      this.stats.syncs++;
    } catch (error) {
      process.stderr.write(`audit: fsync failed: ${asError(error).message}\n`);
    }
    this.dirty = false;
  }

  /** Once per new current file (a new day or part): compress and delete old files, and move the head's start anchor. */
  private retain(): void {
    const days = this.config.retentionDays;
    const file = this.position?.file;
    if (!days || !file || this.retentionCheckedFor === file) return;
    this.retentionCheckedFor = file;
    try {
      const result = applyRetention(this.directory, file, this.now(), days);
      if (result.start) {
        this.start = result.start;
        this.headLags = true;
        this.saveHead();
      }
    } catch (error) {
      process.stderr.write(`audit: retention failed: ${asError(error).message}\n`);
    }
  }

  private rejectPending(error: unknown): void {
    const batch = this.pending;
    this.pending = [];
    for (const pending of batch) pending.reject?.(asError(error));
  }
}

function toHead(position: TrailPosition, start: ChainLink, hasher: ChainHasher, now: Date): TrailHead {
  return {
    version: 1, algorithm: hasher.algorithm, key_id: hasher.keyId, last: position.link, file: position.file ?? '',
    offset: position.offset, lines: position.lines, ino: position.ino, start, updated_at: now.toISOString(),
  };
}

function countLines(path: string): number {
  let count = 0;
  for (const byte of readFileSync(path)) if (byte === 0x0a) count++;
  return count;
}

function statOrNull(path: string): { size: number; ino: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
