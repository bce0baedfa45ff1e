import * as fs from 'node:fs';
import lockfile from 'proper-lockfile';

/** proper-lockfile's fs, with the lock directory created 0700 like every directory of the trail. */
const privateMkdirFs = { ...fs, mkdirSync: (path: fs.PathLike) => fs.mkdirSync(path, { mode: 0o700 }) };

/**
 * The lock several writer processes sharing one log directory take around
 * each write: proper-lockfile's atomic `mkdir` of `<dir>/audit.lock`, with
 * stale detection by the lock directory's mtime, so a writer killed while
 * holding it blocks the others for at most `staleMs`.
 *
 * It is only ever held for one synchronous stretch (read head, write, replace
 * head), so proper-lockfile's mtime refresh timer never needs to run. The
 * flip side: a single write stalled for longer than `staleMs` could let
 * another process take the lock as stale; keep `staleMs` well above the
 * worst write latency you expect.
 */
export class CrossProcessLock {
  private release: (() => void) | null = null;

  constructor(readonly path: string, private readonly staleMs: number) {}

  /** True if taken; false if another process holds it. Other errors (an unwritable directory) throw. */
  tryAcquire(): boolean {
    try {
      this.release = lockfile.lockSync(this.path, { lockfilePath: this.path, realpath: false, stale: this.staleMs, fs: privateMkdirFs });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw error;
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

  unlock(): void {
    const release = this.release;
    this.release = null;
    try {
      release?.();
    } catch {
      // Already gone (removed as stale by another process): nothing left to release.
    }
  }
}
