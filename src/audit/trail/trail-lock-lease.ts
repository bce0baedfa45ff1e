import { mkdirSync } from 'node:fs';
import type { CrossProcessLock } from './cross-process-lock.js';
import type { TrailWriterStats } from './trail-writer-stats.js';
import { onlyThisHostWrites } from './host-local-filesystem.js';
import { checkOwnDirectory, type OnTightened } from './owned-files.js';

/** How long a writer keeps the lock through a busy stretch once another process noted that it waits. */
const LOCK_HOLD_MAX_MS = 20;
/**
 * After its last commit, when the holder brings the head up to date: it then holds the lock idle, or lets it go. Also
 * the gap after which a commit counts as lone, and goes idle as soon as its turn of the event loop is done.
 */
const IDLE_AFTER_MS = 20;
/**
 * While idle with the lock, how often the holder looks at the waiting note where a waiter may be on another host (no
 * watch reports it), and tries a head save that failed. Otherwise an idle holder sets no timer: each wakeup of an idle
 * process costs some 200 µs of CPU on our machines, 10 a second were 3.7 ms of CPU per second of idle.
 */
const IDLE_POLL_MS = 100;
/** After another process wanted the lock, how long a writer lets it go whenever idle, as it does without a watch. */
const CONTENTION_MEMORY_MS = 2000;
/**
 * Without a watch: the longest a writer keeps the lock even when no process noted that it waits (in case the note
 * could not be written). A waiter's note is otherwise looked at every LOCK_HOLD_MAX_MS, at commits.
 */
const LOCK_HOLD_UNCHECKED_MAX_MS = 500;
/** After letting the lock go to a waiting process (or at the cap), how long the writer leaves it to the others. */
const YIELD_MS = 2;

/** What the lease tells its holder: periodically while it keeps the lock, and just before it lets it go. */
export interface LeaseHolder {
  upkeep(now: number): void;
  /** Whether a save of the head failed and is worth trying again: an idle spell then retries it every IDLE_POLL_MS. */
  readonly headBehind: boolean;
  /** No commit for IDLE_AFTER_MS (or a lone one just done) and the lock kept: the head brought up to date and let go, to be reopened by path. */
  idle(): void;
  /** Brings the head up to date now, if it lags (also at each later poll of an idle spell: a failed save is retried). */
  saveHead(): void;
  /** The first commit after an idle spell comes. */
  resumed(): void;
  beforeRelease(): void;
  /** The lock was taken over while this process was frozen (or removed): forget where the trail ends, write nothing. */
  leaseLost(): void;
}

/**
 * How a writer holds the cross-process lock. Taking it costs several times a commit (mkdir, the owner note, reading
 * and checking the head, rmdir later), and real traffic is calls seconds apart: so a writer alone keeps it, idle,
 * for as long as no other process asks for it. A process that finds it busy touches `<lock>.waiting`; the holder
 * watches that note (inotify) and hands the lock over at once when idle, or after LOCK_HOLD_MAX_MS of a busy
 * stretch; it also looks at the note every LOCK_HOLD_MAX_MS of a busy stretch and, where the directory may be shared
 * with another host (host-local-filesystem.ts), every IDLE_POLL_MS while idle, for waiters there, whose touch raises
 * no event here (the commit that ends an idle spell does not look, to keep a stat off its caller's path: such a
 * waiter waits at most about IDLE_POLL_MS + 2 × LOCK_HOLD_MAX_MS).
 *
 * A commit that comes IDLE_AFTER_MS or more after the previous one (a lone call, the common case of real traffic)
 * and would be followed by an idle hold (no contention, a watched note) goes idle as soon as its turn of the event
 * loop is done: the process is awake then, where a timer IDLE_AFTER_MS later woke it again. A commit that follows
 * within IDLE_AFTER_MS starts a busy stretch, and the timer takes over.
 *
 * Holding idle without polling relies on waiters touching the note again at every try (every 1 ms): a touch made
 * before the watch was set, or an event lost, is followed by another.
 * Once another process wanted the lock (within CONTENTION_MEMORY_MS), or where the note cannot be watched, the
 * writer lets the lock go after IDLE_AFTER_MS of idle instead, and at least every LOCK_HOLD_UNCHECKED_MAX_MS
 * without a watch.
 *
 * The flip side of holding: a writer SIGKILLed while holding leaves the lock; on the same host (and PID
 * namespace) the next writer takes it over at once (lock-owner.ts), elsewhere after AUDIT_LOCK_STALE_MS.
 */
export class TrailLockLease {
  /** Since when the lock is held; null while it is not. */
  private heldSince: number | null = null;
  /** When the holder last looked at the waiting note in a busy stretch (at commits). */
  private waitersCheckedAt = 0;
  private lastCommitAt = 0;
  /** Since when the lock is held with no commit (IDLE_AFTER_MS after the last, or right after a lone one); null while not idle. */
  private idleSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private waiterNoted = false;
  private contendedAt = Number.NEGATIVE_INFINITY;
  private yieldUntil = 0;
  /** From a taking of the lock for a commit until committed(): never let go in between. */
  private committing = false;
  /** Commits so far: the rest after a lone commit is skipped if another came meanwhile. */
  private commits = 0;
  /** Whether a waiter on another host could go unseen by the watch: then an idle holder polls the note. Found at the first taking. */
  private pollWhileIdle: boolean | null = null;

  constructor(
    private readonly lock: CrossProcessLock,
    private readonly directory: string,
    private readonly stats: TrailWriterStats,
    private readonly holder: LeaseHolder,
    private readonly onTightened: OnTightened | null = null,
  ) {
    // Another writer of this process waits synchronously: no watch event can reach this one meanwhile.
    lock.askedToLetGo = () => {
      if (this.committing) return false;
      if (this.heldSince === null) return true;
      this.stats.lockHandovers++;
      this.handOver();
      return true;
    };
  }

  /** False right after the lock was let go to others: try again a little later. */
  mayTryNow(): boolean {
    return this.heldSince !== null || Date.now() >= this.yieldUntil;
  }

  /** True if held (already or now); false if another process holds it. Other errors (an unwritable directory) throw. */
  tryTake(): boolean {
    if (this.stillHeld()) {
      this.wake();
      return (this.committing = true);
    }
    this.checkDirectory();
    let taken: boolean;
    try {
      taken = this.lock.tryAcquire();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      taken = this.lock.tryAcquire();
    }
    if (taken) this.taken();
    else {
      this.stats.lockWaits++;
      this.contendedAt = Date.now();
    }
    return taken;
  }

  /** Waits synchronously (exit handlers, shutdown), up to `timeoutMs`. */
  takeBlocking(timeoutMs: number): boolean {
    if (this.stillHeld()) {
      this.wake();
      return (this.committing = true);
    }
    this.checkDirectory();
    const taken = this.lock.acquireBlocking(timeoutMs);
    if (taken) this.taken();
    return taken;
  }

  /** After a commit under the lock: keep it for the next one (`keep`), unless others wait their turn. */
  committed(keep: boolean): void {
    this.committing = false;
    if (!keep || this.othersWaitTheirTurn()) {
      this.handOver();
      return;
    }
    const now = Date.now();
    const alone = now - this.lastCommitAt >= IDLE_AFTER_MS;
    this.lastCommitAt = now;
    this.commits++;
    if (this.timer) return;
    // Contended or unwatched, the lock is let go after IDLE_AFTER_MS: other batches of this process may come meanwhile.
    if (alone && this.holdsIdle(now)) setImmediate(this.afterLoneCommit, this.commits);
    else this.arm(IDLE_AFTER_MS);
  }

  /** The holder's head brought up to date outside the timer (exit handlers, shutdown), if the lock is still this process's. */
  saveHeadNow(): void {
    if (this.stillHeld()) this.holder.saveHead();
  }

  release(): void {
    this.stopTimer();
    this.unwatch();
    if (!this.stillHeld()) return;
    this.holder.beforeRelease();
    this.heldSince = null;
    this.idleSince = null;
    this.lock.unlock();
  }

  /**
   * A commit comes after an idle spell: the idle poll, if any, stops. A new busy stretch begins: the note is looked at
   * again LOCK_HOLD_MAX_MS into it (or, where idle polls, when idle again), not by this commit on its caller's path.
   */
  private wake(): void {
    if (this.idleSince === null) return;
    this.idleSince = null;
    this.waitersCheckedAt = Date.now();
    this.stopTimer();
    this.holder.resumed();
  }

  private handOver(): void {
    this.release();
    this.yieldUntil = Date.now() + YIELD_MS;
  }

  /**
   * Whether the lock is still ours. Others take it as stale once its mtime is older than the stale time, which the
   * lock's timer refreshes; a holder gets there only if its event loop froze, and only then, or when the lock was
   * kept idle (its directory may have been removed meanwhile), is the directory looked at. Lost, the lease is
   * dropped without a word to the files: the other process's head and lock are current.
   */
  private stillHeld(): boolean {
    if (this.heldSince === null) return false;
    const fresh = !this.lock.compromised && this.idleSince === null && Date.now() - this.lock.refreshedAt < this.lock.staleMs / 2;
    if (fresh || this.lock.stillOwned()) return true;
    this.stopTimer();
    this.unwatch();
    this.heldSince = null;
    this.idleSince = null;
    this.stats.leasesLost++;
    this.holder.leaseLost();
    this.lock.unlock();
    return false;
  }

  /**
   * Before each taking of the lock (not each commit): the lock, the head and new files are reached by path through
   * the log directory, so a link put in its place since the writer resolved it would lead them elsewhere. Refused.
   */
  private checkDirectory(): void {
    try {
      checkOwnDirectory(this.directory, this.onTightened);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // made by tryTake below
    }
  }

  private taken(): void {
    this.committing = true;
    this.heldSince = Date.now();
    this.idleSince = null;
    this.waiterNoted = false;
    this.stats.locksTaken++;
    this.lock.waitingNote.watch(this.waiterNotedNow);
    // Once: a statfs at every taking would be a round trip on a network filesystem, where takings come every 20 ms under contention.
    this.pollWhileIdle ??= !onlyThisHostWrites(this.directory);
  }

  private readonly waiterNotedNow = (): void => {
    if (this.heldSince === null || this.waiterNoted) return;
    this.waiterNoted = true;
    this.contendedAt = Date.now();
    this.stopTimer();
    this.arm(Math.max(0, this.heldSince + LOCK_HOLD_MAX_MS - Date.now()));
  };

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.tick, delayMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private unwatch(): void {
    this.lock.waitingNote.unwatch();
    this.waiterNoted = false;
  }

  private readonly tick = (): void => {
    this.timer = null;
    if (!this.stillHeld()) return;
    const now = Date.now();
    if (this.waiterNoted) {
      this.stats.lockHandovers++;
      this.handOver();
      return;
    }
    const idle = now - this.lastCommitAt;
    if (idle < IDLE_AFTER_MS) {
      // Still in a busy stretch: the holder's periodic upkeep, here rather than in a caller's commit.
      this.holder.upkeep(now);
      this.arm(IDLE_AFTER_MS - idle);
      return;
    }
    this.rest(now);
  };

  /**
   * After a lone commit, in the same wakeup of the process: idle now. Not if another commit came meanwhile (it armed
   * the timer, or came alone too and does this itself), a waiter armed the timer, or the lock was let go.
   */
  private readonly afterLoneCommit = (commit: number): void => {
    if (commit === this.commits && this.heldSince !== null && !this.timer) this.rest(Date.now());
  };

  /** Whether an idle spell now would keep the lock: another process did not want it lately, and the note is watched. */
  private holdsIdle(now: number): boolean {
    return this.lock.waitingNote.watched && now - this.contendedAt >= CONTENTION_MEMORY_MS;
  }

  /** No commit for a while: let the lock go, hand it over, or keep it idle (polled only where it must be). */
  private rest(now: number): void {
    if (!this.holdsIdle(now)) {
      this.release();
      return;
    }
    if (this.pollWhileIdle && this.lock.waitingNote.touchedSinceLastLook()) {
      this.waiterSeen(now);
      this.handOver();
      return;
    }
    if (this.idleSince === null) {
      this.idleSince = now;
      this.stats.idleHolds++;
      this.holder.idle();
    } else this.holder.saveHead(); // one whose save failed, rather than left behind the records until the next commit
    if (this.pollWhileIdle || this.holder.headBehind) this.arm(IDLE_POLL_MS);
  }

  /**
   * A noted waiter waits at most LOCK_HOLD_MAX_MS. The note is also looked at (a stat) that often, watch or not: a
   * waiter on another host raises no event here. Without a watch, the lock is let go at least every
   * LOCK_HOLD_UNCHECKED_MAX_MS besides, in case a waiter could not touch the note.
   */
  private othersWaitTheirTurn(): boolean {
    const now = Date.now();
    const heldFor = now - this.heldSince!;
    if (heldFor < LOCK_HOLD_MAX_MS) return false;
    if (this.waiterNoted) return this.waiterSeen(now);
    if (!this.lock.waitingNote.watched && heldFor >= LOCK_HOLD_UNCHECKED_MAX_MS) return true;
    if (now - Math.max(this.waitersCheckedAt, this.heldSince!) < LOCK_HOLD_MAX_MS) return false;
    this.waitersCheckedAt = now;
    return this.lock.waitingNote.touchedSinceLastLook() && this.waiterSeen(now);
  }

  private waiterSeen(now: number): true {
    this.stats.lockHandovers++;
    this.contendedAt = now;
    return true;
  }
}
