import * as fs from 'node:fs';
import lockfile from 'proper-lockfile';
import { removeLockOwner, takeOverFromDeadOwner, writeLockOwner } from './lock-owner.js';
import { UntrustedFileError } from './owned-files.js';
import { WaitingNote } from './waiting-note.js';

/**
 * proper-lockfile removes its locks on fatal signals through signal-exit, which then raises the signal again unless
 * the process has a listener of its own. For SIGXFSZ (a write past the file size limit, `ulimit -f`), which Node
 * ignores so that the write fails with EFBIG, that made a writer die instead of failing the call closed and keeping
 * the record for an `audit_gap`, as it does on a full disk. This listener keeps Node's choice.
 */
process.on('SIGXFSZ', () => {});

/**
 * The lock this process holds at each path, whichever of its writers took it. A writer waiting synchronously
 * (acquireBlocking: exit handlers, shutdown) blocks the event loop, so the fs.watch event by which an idle holder of
 * the same process would hand over never runs: it asks that holder directly instead of waiting for the stale time.
 */
const heldHere = new Map<string, CrossProcessLock>();

/**
 * The lock several writer processes sharing one log directory take around
 * each write: proper-lockfile's atomic `mkdir` of `<dir>/audit.lock`, with
 * stale detection by the lock directory's mtime, so a writer killed while
 * holding it blocks the others for at most `staleMs`. The holder notes its
 * PID, host and start time in the directory (lock-owner.ts): a lock whose
 * owner is a dead process of this host is taken over at once; the stale time
 * is waited only where the owner may be alive (another host, a live PID).
 *
 * A writer may keep it for as long as nobody else asks for it
 * (trail-lock-lease.ts): proper-lockfile's timer refreshes the directory's
 * mtime every staleMs / 4 (at least every second), so a live holder never
 * looks stale. A single write stalled for longer than `staleMs` could still
 * let another process take the lock as stale; keep `staleMs` well above the
 * worst write latency you expect.
 *
 * A process that finds the lock busy touches `<lock>.waiting`, so the holder
 * can tell (waiting-note.ts) whether anyone is
 * waiting for its turn, and let the lock go only then.
 */
export class CrossProcessLock {
  private release: (() => void) | null = null;
  /** Where waiters note that they wait, and the holder looks. */
  readonly waitingNote: WaitingNote;
  /**
   * The lock directory this process made, open while it holds it: its inode cannot be reused while open, so a lock
   * with the same inode at the path is this one (an mtime, set to a whole second by proper-lockfile, could be equal).
   */
  private owned: { fd: number; ino: number } | null = null;
  /** When this process last set the lock directory's mtime (took or refreshed it): until staleMs later, nobody takes it as stale. */
  refreshedAt = 0;
  /** proper-lockfile's refresh found the lock no longer ours (removed, or taken over as stale while this process was frozen). */
  compromised = false;
  /** While proper-lockfile takes the lock: a stale lock it removes is not this process's. */
  private removingStale = false;
  private takings = 0;
  /** Which of this lock's takings holds it now. */
  private taking = 0;
  /**
   * proper-lockfile's fs: the lock directory created 0700 like every directory of the trail, and held open from its
   * making (`owned`); its refreshes noted. proper-lockfile removes a lock in three places: a stale one while this
   * process takes it, its own at release, and at exit every lock it still lists, lost ones too: only the first two,
   * and only a lock still this process's, are removed, never one another holder took over or made. One per taking: a
   * taking lost is not released through proper-lockfile (unlock()), so its refresh timer lives on; it refreshes
   * nothing once another taking, or none, is current. Else it refreshed a lock retaken in the same second (the same
   * mtime, the next whole second + 5 ms) as its own, the new taking's timer then found that lock compromised, and the
   * writer lost it again and waited for its own lock to go stale.
   */
  private lockFsFor(taking: number) {
    return {
      ...fs,
      mkdirSync: (path: fs.PathLike) => {
        fs.mkdirSync(path, { mode: 0o700 });
        let fd: number | null = null;
        try {
          fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
          this.owned = { fd, ino: fs.fstatSync(fd).ino };
        } catch (error) {
          if (fd !== null) fs.closeSync(fd);
          fs.rmdirSync(path);
          throw error;
        }
      },
      utimesSync: (path: fs.PathLike, atime: fs.TimeLike, mtime: fs.TimeLike) => {
        // ENOENT: proper-lockfile then ends that timer, and its entry for the path if still its own.
        if (!this.removingStale && this.taking !== taking)
          throw Object.assign(new Error(`${String(path)} is no longer held by this taking`), { code: 'ENOENT' });
        fs.utimesSync(path, atime, mtime);
        this.refreshedAt = Date.now();
      },
      rmdirSync: (path: fs.PathLike) => {
        if (!this.removingStale && !this.stillOwned()) return;
        removeLockOwner(String(path));
        fs.rmdirSync(path);
      },
    };
  }

  /**
   * Set by the holder, for acquireBlocking here: lets the lock go now if it can; false if it cannot, being in the
   * middle of a commit (a callback of that commit is what made another writer wait).
   */
  askedToLetGo: (() => boolean) | null = null;

  constructor(
    readonly path: string,
    readonly staleMs: number,
  ) {
    this.waitingNote = new WaitingNote(`${path}.waiting`);
  }

  /** Whether the lock directory is still the one this process made (not removed and re-made by another as stale). */
  stillOwned(): boolean {
    try {
      return !this.compromised && this.owned !== null && fs.lstatSync(this.path).ino === this.owned.ino;
    } catch {
      return false;
    }
  }

  /** True if taken; false if another process holds it (noted in `<lock>.waiting`). Other errors (an unwritable directory) throw. */
  tryAcquire(): boolean {
    this.refuseImpostor();
    const taking = ++this.takings;
    this.removingStale = true;
    try {
      this.release = lockfile.lockSync(this.path, {
        lockfilePath: this.path,
        realpath: false,
        stale: this.staleMs,
        update: this.staleMs / 4,
        fs: this.lockFsFor(taking),
        // Its default throws from a timer: the lease finds out instead, before its next write (stillOwned()).
        // Only for this taking of the lock: the timer of one lost earlier may still fire.
        onCompromised: () => {
          if (this.taking === taking) this.compromised = true;
        },
      });
    } catch (error) {
      this.forgetOwned(); // made, then removed by proper-lockfile itself when it could not finish taking it
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (this.tookOverFromDeadOwner()) return this.tryAcquire();
      this.waitingNote.touch();
      return false;
    } finally {
      this.removingStale = false;
    }
    // The note changes the directory's mtime, which proper-lockfile's refresh compares: put it back.
    const made = fs.statSync(this.path);
    try {
      writeLockOwner(this.path);
    } catch {
      // A full disk (the note needs a block): the lock holds without it; a holder that dies then leaves it to go stale.
      // Throwing here instead left the lock made but unknown to the caller, who then waited on itself for ever.
    }
    fs.utimesSync(this.path, made.atime, made.mtime);
    this.refreshedAt = Date.now();
    this.compromised = false;
    this.taking = taking;
    heldHere.set(this.path, this);
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

  /** Waits synchronously (for `exit` handlers and startup), up to `timeoutMs`; false at once if a writer of this process holds it mid-commit. */
  acquireBlocking(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    while (!this.tryAcquire()) {
      if (Date.now() >= deadline) return false;
      const holder = heldHere.get(this.path);
      if (holder && holder !== this && holder.askedToLetGo) {
        // A holder of this process in the middle of a commit cannot go on while this one blocks: waiting would only
        // let its lock go stale (its refresh timer cannot run), and taking it then would fork the chain under it.
        if (!holder.askedToLetGo()) return false;
        if (heldHere.get(this.path) !== holder) continue;
      }
      Atomics.wait(sleeper, 0, 0, 2);
    }
    return true;
  }

  /** Lets the lock go; if another holder took it over meanwhile, only forgets it (its directory is not ours). */
  unlock(): void {
    const release = this.release;
    this.release = null;
    // Not ours any more, proper-lockfile's entry for the path may be another holder's (one in this process too):
    // releasing would remove that holder's lock. Ours then ends with its refresh timer, which finds it compromised.
    if (release && this.stillOwned()) {
      try {
        release();
      } catch {
        // Already gone: nothing left to release.
      }
    }
    this.forgetOwned();
    this.taking = 0;
    if (heldHere.get(this.path) === this) heldHere.delete(this.path);
  }

  private forgetOwned(): void {
    if (this.owned) fs.closeSync(this.owned.fd);
    this.owned = null;
  }
}
