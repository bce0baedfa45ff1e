import * as fs from 'node:fs';
import lockfile from 'proper-lockfile';
import { removeLockOwner, takeOverFromDeadOwner, writeLockOwner } from './lock-owner.js';
import { openOwnFileForWriting, UntrustedFileError } from './owned-files.js';

/**
 * proper-lockfile removes its locks on fatal signals through signal-exit, which then raises the signal again unless
 * the process has a listener of its own. For SIGXFSZ (a write past the file size limit, `ulimit -f`), which Node
 * ignores so that the write fails with EFBIG, that made a writer die instead of failing the call closed and keeping
 * the record for an `audit_gap`, as it does on a full disk. This listener keeps Node's choice.
 */
process.on('SIGXFSZ', () => {});

/**
 * The lock several writer processes sharing one log directory take around
 * each write: proper-lockfile's atomic `mkdir` of `<dir>/audit.lock`, with
 * stale detection by the lock directory's mtime, so a writer killed while
 * holding it blocks the others for at most `staleMs`. The holder notes its
 * PID, host and start time in the directory (lock-owner.ts): a lock whose
 * owner is a dead process of this host is taken over at once; the stale time
 * is waited only where the owner may be alive (another host, a live PID).
 *
 * A writer keeps it through a busy stretch, but never as long as 1 s, so
 * proper-lockfile's mtime refresh timer (first run at max(1 s, staleMs / 2))
 * never needs to run. The flip side: a single write stalled for longer than
 * `staleMs` could let another process take the lock as stale; keep `staleMs`
 * well above the worst write latency you expect.
 *
 * A process that finds the lock busy touches `<lock>.waiting`, so the holder
 * can tell (`waitedOnSince`) whether anyone is waiting for its turn, and let
 * the lock go only then instead of pausing for nobody.
 */
export class CrossProcessLock {
  private release: (() => void) | null = null;
  readonly waitingPath: string;
  /** The lock directory's mtime while this process holds it (set at mkdir, moved by proper-lockfile's refresh). */
  private ownedMtimeMs: number | null = null;
  /**
   * proper-lockfile's fs: the lock directory created 0700 like every directory of the trail; its mtime
   * remembered, so that removing the lock (release, or proper-lockfile's exit handler) never removes a
   * lock another process took over as stale while this one was frozen.
   */
  private readonly lockFs = {
    ...fs,
    mkdirSync: (path: fs.PathLike) => fs.mkdirSync(path, { mode: 0o700 }),
    utimesSync: (path: fs.PathLike, atime: fs.TimeLike, mtime: fs.TimeLike) => {
      fs.utimesSync(path, atime, mtime);
      this.ownedMtimeMs = fs.statSync(path).mtimeMs;
    },
    // Also how proper-lockfile removes a stale lock before taking it: only a lock held here is checked.
    rmdirSync: (path: fs.PathLike) => {
      if (this.ownedMtimeMs !== null && !this.stillOwned()) return;
      removeLockOwner(String(path));
      fs.rmdirSync(path);
    },
  };

  constructor(
    readonly path: string,
    readonly staleMs: number,
  ) {
    this.waitingPath = `${path}.waiting`;
  }

  /** Whether the lock directory is still the one this process made (not removed and re-made by another as stale). */
  stillOwned(): boolean {
    try {
      return this.ownedMtimeMs !== null && fs.statSync(this.path).mtimeMs === this.ownedMtimeMs;
    } catch {
      return false;
    }
  }

  /** True if taken; false if another process holds it (noted in `<lock>.waiting`). Other errors (an unwritable directory) throw. */
  tryAcquire(): boolean {
    this.refuseImpostor();
    try {
      this.release = lockfile.lockSync(this.path, { lockfilePath: this.path, realpath: false, stale: this.staleMs, fs: this.lockFs });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (this.tookOverFromDeadOwner()) return this.tryAcquire();
      this.noteWaiting();
      return false;
    }
    // The note changes the directory's mtime, which proper-lockfile and stillOwned() compare: put it back.
    const made = fs.statSync(this.path);
    try {
      writeLockOwner(this.path);
    } catch {
      // A full disk (the note needs a block): the lock holds without it; a holder that dies then leaves it to go stale.
      // Throwing here instead left the lock made but unknown to the caller, who then waited on itself for ever.
    }
    fs.utimesSync(this.path, made.atime, made.mtime);
    this.ownedMtimeMs = fs.statSync(this.path).mtimeMs;
    return true;
  }

  /**
   * A symbolic link or a file planted as the lock looks taken forever, and proper-lockfile would follow the link
   * to judge it stale: refused with an error naming it instead (the callers fail closed).
   */
  private refuseImpostor(): void {
    const found = fs.lstatSync(this.path, { throwIfNoEntry: false });
    if (found && !found.isDirectory())
      throw new UntrustedFileError(this.path, found.isSymbolicLink() ? 'it is a symbolic link, not the lock directory' : 'it is not a directory');
  }

  private tookOverFromDeadOwner(): boolean {
    try {
      const pid = takeOverFromDeadOwner(this.path);
      if (pid === null) return false;
      process.stderr.write(`audit: took over ${this.path} from writer process ${pid}, which is gone\n`);
      return true;
    } catch {
      return false; // raced with another process taking it over: wait as for any busy lock
    }
  }

  /**
   * Whether another process found the lock busy at or after `sinceMs` (epoch
   * ms, as the waiter's clock stamps the note); when unsure, the answer is yes.
   */
  waitedOnSince(sinceMs: number): boolean {
    try {
      const marker = fs.lstatSync(this.waitingPath, { throwIfNoEntry: false });
      return marker !== undefined && marker.mtimeMs >= sinceMs;
    } catch {
      return true;
    }
  }

  private noteWaiting(): void {
    try {
      const now = new Date();
      // lutimes and O_NOFOLLOW: a link planted as the note is never followed to touch or create a file elsewhere.
      try {
        fs.lutimesSync(this.waitingPath, now, now);
      } catch {
        fs.closeSync(openOwnFileForWriting(this.waitingPath, fs.constants.O_CREAT, null));
        fs.lutimesSync(this.waitingPath, now, now);
      }
    } catch {
      // Unnoted, the wait is still bounded: holders let the lock go at least every 500 ms regardless.
    }
  }

  /** Waits synchronously (for `exit` handlers and startup), up to `timeoutMs`. */
  acquireBlocking(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    while (!this.tryAcquire()) {
      if (Date.now() >= deadline) return false;
      Atomics.wait(sleeper, 0, 0, 2);
    }
    return true;
  }

  /** Lets the lock go; if another process took it over meanwhile, only forgets it (its directory is not ours). */
  unlock(): void {
    const release = this.release;
    this.release = null;
    try {
      release?.();
    } catch {
      // Already gone (removed as stale by another process): nothing left to release.
    }
    this.ownedMtimeMs = null;
  }
}
