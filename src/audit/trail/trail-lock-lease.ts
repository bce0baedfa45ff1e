import { mkdirSync } from 'node:fs';
import type { CrossProcessLock } from './cross-process-lock.js';
import type { TrailWriterStats } from './trail-writer-stats.js';
import { checkOwnDirectory, type OnTightened } from './owned-files.js';

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
/** After letting the lock go to a waiting process (or at the cap), how long the writer leaves it to the others. */
const YIELD_MS = 2;

/** What the lease tells its holder: periodically while it keeps the lock, and just before it lets it go. */
export interface LeaseHolder {
  upkeep(now: number): void;
  beforeRelease(): void;
  /** The lock was taken over while this process was frozen: forget where the trail ends, write nothing. */
  leaseLost(): void;
}

/**
 * How a writer holds the cross-process lock: taken for a commit, kept through
 * a busy stretch and LOCK_LINGER_MS after its last commit (one timer, armed
 * once and re-armed from the last commit time when it fires early, not reset
 * per commit), handed over once another process noted that it waits (looked
 * at every LOCK_HOLD_MAX_MS), and let go after LOCK_HOLD_UNCHECKED_MAX_MS
 * regardless. While the lock is kept, the timer also runs the holder's upkeep.
 */
export class TrailLockLease {
  /** Since when the lock is held; null while it is not. */
  private heldSince: number | null = null;
  /** When the holder last looked for processes waiting on the lock. */
  private waitersCheckedAt = 0;
  private lastCommitAt = 0;
  private releaseTimer: NodeJS.Timeout | null = null;
  private yieldUntil = 0;

  constructor(
    private readonly lock: CrossProcessLock,
    private readonly directory: string,
    private readonly stats: TrailWriterStats,
    private readonly holder: LeaseHolder,
    private readonly onTightened: OnTightened | null = null,
  ) {}

  /** False right after the lock was let go to others: try again a little later. */
  mayTryNow(): boolean {
    return this.heldSince !== null || Date.now() >= this.yieldUntil;
  }

  /** True if held (already or now); false if another process holds it. Other errors (an unwritable directory) throw. */
  tryTake(): boolean {
    if (this.stillHeld()) return true;
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
    else this.stats.lockWaits++;
    return taken;
  }

  /** Waits synchronously (exit handlers, shutdown), up to `timeoutMs`. */
  takeBlocking(timeoutMs: number): boolean {
    if (this.stillHeld()) return true;
    this.checkDirectory();
    const taken = this.lock.acquireBlocking(timeoutMs);
    if (taken) this.taken();
    return taken;
  }

  /** After a commit under the lock: keep it for the next one of a busy stretch (`keep`), unless others wait their turn. */
  committed(keep: boolean): void {
    if (!keep || this.othersWaitTheirTurn()) {
      this.release();
      this.yieldUntil = Date.now() + YIELD_MS;
      return;
    }
    this.lastCommitAt = Date.now();
    if (!this.releaseTimer) this.armReleaseTimer(LOCK_LINGER_MS);
  }

  release(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    if (!this.stillHeld()) return;
    this.holder.beforeRelease();
    this.heldSince = null;
    this.lock.unlock();
  }

  /**
   * Whether the lock is still ours. Others take it as stale once its directory is older than the stale time;
   * a holder gets there only if its event loop froze (a hold ends within LOCK_HOLD_UNCHECKED_MAX_MS), so only
   * then is the directory looked at (at half the stale time: a margin for clocks between processes). Taken
   * over, the lease is dropped without a word to the files: the other process's head and lock are current.
   */
  private stillHeld(): boolean {
    if (this.heldSince === null) return false;
    if (Date.now() - this.heldSince < this.lock.staleMs / 2 || this.lock.stillOwned()) return true;
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    this.heldSince = null;
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
    this.heldSince = Date.now();
    this.stats.locksTaken++;
  }

  private armReleaseTimer(delayMs: number): void {
    this.releaseTimer = setTimeout(this.lingerOver, delayMs);
    this.releaseTimer.unref();
  }

  private readonly lingerOver = (): void => {
    this.releaseTimer = null;
    if (!this.stillHeld()) return;
    const now = Date.now();
    const idle = now - this.lastCommitAt;
    if (idle >= LOCK_LINGER_MS) {
      this.release();
      return;
    }
    // Still in a busy stretch: the holder's periodic upkeep, here rather than in a caller's commit.
    this.holder.upkeep(now);
    this.armReleaseTimer(LOCK_LINGER_MS - idle);
  };

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
}
