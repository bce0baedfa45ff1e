import { basename, dirname, join } from 'node:path';
import { auditFileNameFor, type AuditRecord } from '../record/audit-record.js';
import { CrossProcessLock } from './cross-process-lock.js';
import { ChainHasher } from './hash-chain.js';
import { JsonlFileSink } from './jsonl-file-sink.js';
import { TrailCommitter, type AppendCallback, type PendingRecord } from './trail-committer.js';
import { TrailEndTracker } from './trail-end-tracker.js';
import { TrailFsync } from './trail-fsync.js';
import { readTrailHead, TrailHeadFile } from './trail-head.js';
import { TrailLockLease } from './trail-lock-lease.js';
import type { TrailWriterStats } from './trail-writer-stats.js';
import { resolveLogDirectory, type TightenedPermissions } from './owned-files.js';
import { permissionsRecord } from './writer-records.js';
import type { TrailWriterConfig } from './trail-writer-config.js';
import { asError } from '../as-error.js';

/** How often records kept after a failed write are tried again when no new record comes to carry them. */
const BACKLOG_RETRY_MS = 1000;

/**
 * Writes audit records as a hash chain (see hash-chain.ts) into daily files,
 * safely shared by several processes.
 *
 * Group commit: records appended by one run of JavaScript (an I/O callback,
 * a timer, and the promise jobs they set off) go out together, once that run's
 * microtasks are done, under ONE cross-process lock and, per file, ONE write.
 * Not at the next check phase: a call that came alone would then wait a whole
 * event-loop turn for its record (about 20 µs in memory).
 * Under the lock the writer reads the sealed head (where the trail ends),
 * decides each record's file, computes `seq`/`prev_hash`/`hash` — so chain
 * order is file order, whatever the number of processes — and writes. If the
 * lock is busy the batch waits and keeps growing.
 *
 * A writer alone keeps the lock, idle, until another process asks for it,
 * and hands it over then (trail-lock-lease.ts): calls seconds apart then
 * cost a commit, not a taking of the lock each.
 *
 * The head is rewritten before the lock is let go, on a new file, every
 * 20 ms while the writer is busy and 20 ms after its last commit, or right
 * after a lone one (trail-end-tracker.ts, trail-lock-lease.ts), so the next
 * holder always finds it current; what a
 * crash can leave lagging, and what that costs, is said once, in trail-head.ts.
 *
 * A file moved away (logrotate, a shipper) is noticed by its inode when the
 * writer takes the lock, on reopen() (SIGHUP: the prompt way), when it starts
 * a new file, every 20 ms while it is busy and at its first commit after an
 * idle spell — not at every commit, which cost a stat each. Records committed between a move and its check go
 * to the moved file through the open descriptor: chained and kept, nothing
 * lost; the writer then writes a `recovery` record with `moved_file` and
 * continues the chain in a new file.
 *
 * The log directory is not trusted (owned-files.ts): its path is resolved
 * once, here, and a planted link or foreign file where the writer expects
 * one of its own is refused (the call fails closed, as on a full disk);
 * loose permissions are tightened and a `permissions_tightened` record says so.
 *
 * A record's callback (or promise) settles once its line is in the kernel (and on disk with
 * AUDIT_FSYNC=always), or fails with the write error: the caller fails
 * closed. Failed records are kept in memory (bounded) and, as soon as a
 * write succeeds again (tried every second even without new records), an
 * `audit_gap` record says what happened and they follow, marked late. When the files do not end where the head
 * says (a crash, a torn line, a moved file), the writer repairs what it can
 * and writes a `recovery` record first.
 */
export class ChainedTrailWriter {
  readonly directory: string;
  readonly stats: TrailWriterStats = {
    commits: 0,
    writes: 0,
    syncs: 0,
    headWrites: 0,
    fileChecks: 0,
    locksTaken: 0,
    lockWaits: 0,
    lockHandovers: 0,
    idleHolds: 0,
    leasesLost: 0,
  };
  private readonly hasher: ChainHasher;
  private readonly headPath: string;
  private readonly sink: JsonlFileSink;
  private readonly lock: CrossProcessLock;
  private readonly end: TrailEndTracker;
  private readonly fsync: TrailFsync;
  private readonly lease: TrailLockLease;
  private readonly committer: TrailCommitter;
  private pending: PendingRecord[] = [];
  /** The previous batch's array, emptied, to take appends while the current one is committed. */
  private spare: PendingRecord[] = [];
  private flushScheduled = false;
  /** Set while a batch is committed or failed: what its callbacks append waits for the next turn, never in a microtask loop. */
  private settling = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backlogTimer: NodeJS.Timeout | null = null;
  private checkWanted = false;
  private closed = false;
  /** Permissions tightened since the last commit, to be recorded by the next. */
  private tightened: TightenedPermissions[] = [];
  private readonly config: TrailWriterConfig;

  constructor(configured: TrailWriterConfig) {
    this.directory = configured.directory;
    const config = (this.config = { ...configured, directory: resolveLogDirectory(configured.directory) });
    if (configured.headPath) config.headPath = join(resolveLogDirectory(dirname(configured.headPath)), basename(configured.headPath));
    // Noted during a commit or a head write: recorded by a commit of its own, right after.
    const onTightened = (tightened: TightenedPermissions): void => {
      this.tightened.push(tightened);
      this.checkWanted = true;
      this.scheduleFlush();
    };
    this.hasher = config.hasher ?? new ChainHasher(undefined);
    this.headPath = config.headPath ?? join(config.directory, 'audit.head.json');
    this.sink = new JsonlFileSink(config.directory, onTightened);
    this.lock = new CrossProcessLock(join(config.directory, 'audit.lock'), config.lockStaleMs ?? 10_000);
    this.fsync = new TrailFsync(config.fsync ?? 'off', config.fsyncIntervalMs ?? 1000, this.sink, this.stats);
    // The head file stays open only while the lock is held: TrailEndTracker closes it when the lease lets the lock go.
    this.end = new TrailEndTracker(
      config.directory,
      this.hasher,
      new TrailHeadFile(this.headPath, onTightened),
      this.fsync.mode === 'always',
      this.stats,
      this.now,
    );
    this.lease = new TrailLockLease(this.lock, config.directory, this.stats, this.end, onTightened);
    this.committer = new TrailCommitter(config, this.hasher, this.sink, this.end, this.fsync, this.stats, this.now);
    // Signed checkpoints (src/audit/checkpoint/): it reports a failed mirror copy through the trail itself.
    config.checkpointer?.attach((record) => this.appendWithCallback(record, () => {}), onTightened);
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

  /** `appendWithCallback` as a promise: resolves once written, rejects with the write error. */
  append(record: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => this.appendWithCallback(record, (error) => (error ? reject(error) : resolve())));
  }

  /**
   * Appends `record`; `done` is called once, never synchronously: with no argument once the line is written,
   * or with the write error. No promise per record: under an async-hooks context manager each one costs work.
   */
  appendWithCallback(record: AuditRecord, done: AppendCallback): void {
    if (this.closed) {
      const error = new Error(`audit writer for ${this.directory} is closed`);
      process.nextTick(done, error);
      return;
    }
    this.pending.push({ record, done });
    this.scheduleFlush();
  }

  /**
   * Writes everything pending now, waiting synchronously for the lock, and brings the head up to date
   * (exit handlers, where the timer that would let the lock go never runs; shutdown). Never throws.
   */
  flushSync(): void {
    if (this.pending.length > 0 || this.committer.hasBacklog || this.tightened.length > 0) this.commitPendingSync();
    this.lease.saveHeadNow();
    // The head, tightened as it was written just now: its record, and the head again after it.
    if (this.tightened.length > 0) {
      this.commitPendingSync();
      this.lease.saveHeadNow();
    }
  }

  /** Closes the file so the next write reopens it by path: for SIGHUP after logrotate moved it. */
  reopen(): void {
    this.sink.reopen();
    this.end.recheck();
  }

  close(): void {
    this.flushSync();
    // Everything is written: sign a last checkpoint over it.
    this.config.checkpointer?.close();
    this.closed = true;
    this.lease.release();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.backlogTimer) clearTimeout(this.backlogTimer);
    this.fsync.close();
    this.sink.close();
  }

  private readonly now = (): Date => this.config.now?.() ?? new Date();

  private scheduleFlush(): void {
    if (this.flushScheduled || this.retryTimer) return;
    this.flushScheduled = true;
    if (this.settling) setImmediate(this.flush);
    else queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.retryTimer = null;
    if (this.closed || (this.pending.length === 0 && !this.checkWanted)) return;
    this.checkWanted = false;
    let taken = false;
    try {
      // Right after letting the lock go to others, leave it to them a moment.
      taken = this.lease.mayTryNow() && this.lease.tryTake();
    } catch (error) {
      this.rejectPending(error);
      return;
    }
    if (!taken) {
      // Another process is writing: wait a little; appends meanwhile join this batch.
      this.retryTimer = setTimeout(this.flush, 1);
      return;
    }
    this.commitLocked();
  };

  private commitPendingSync(): void {
    let taken: boolean;
    try {
      taken = this.lease.takeBlocking((this.config.lockStaleMs ?? 10_000) + 1000);
    } catch (error) {
      this.rejectPending(error);
      return;
    }
    if (!taken) {
      this.rejectPending(new Error(`audit lock ${this.lock.path} stayed busy`));
      return;
    }
    this.commitLocked();
  }

  /** Commits the pending batch under the lock; the lease then keeps the lock for the next commit or lets it go. */
  private commitLocked(): void {
    const batch = this.pending;
    this.pending = this.spare;
    if (this.tightened.length > 0) {
      batch.unshift({ record: permissionsRecord(this.now().toISOString(), batch[0]?.record.service ?? 'mcp-audit', this.tightened), done: null });
      this.tightened = [];
    }
    let committed = false;
    this.settling = true;
    try {
      committed = this.committer.commit(batch);
    } catch (error) {
      // Failed closed and kept, as after a failed write: an audit_gap then says so (a refused impostor, say).
      for (const entry of batch) this.committer.noteUnwritten(entry, asError(error));
    } finally {
      this.settling = false;
    }
    batch.length = 0;
    this.spare = batch;
    if (committed) this.end.committed(Date.now());
    this.lease.committed(committed && !this.closed);
    this.retryBacklogLater();
  }

  private rejectPending(error: unknown): void {
    const batch = this.pending;
    this.pending = [];
    this.settling = true;
    try {
      for (const pending of batch) this.committer.noteUnwritten(pending, asError(error));
    } finally {
      this.settling = false;
    }
    this.retryBacklogLater();
  }

  /** Space may return while no call comes: try the kept records again a little later. */
  private retryBacklogLater(): void {
    if (this.backlogTimer || this.closed || !this.committer.hasBacklog) return;
    this.backlogTimer = setTimeout(() => {
      this.backlogTimer = null;
      this.checkWanted = true;
      this.scheduleFlush();
    }, BACKLOG_RETRY_MS);
    this.backlogTimer.unref();
  }
}
