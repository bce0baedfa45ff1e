import * as fs from 'node:fs';
import { openOwnFileForWriting } from './owned-files.js';

/**
 * `<lock>.waiting`: how a process that finds the writers' lock busy tells the holder that it waits. The waiter
 * touches it at every try; the holder watches it (inotify: at once) and looks at its mtime now and then, for
 * waiters whose touch raises no event here (another host of a network file system). Any change of the mtime since
 * the holder last looked is a waiter, whatever the toucher's clock.
 */
export class WaitingNote {
  private watcher: fs.FSWatcher | null = null;
  /** The mtime when last looked at; null: could not be looked at. */
  private seen: number | null = null;

  constructor(readonly path: string) {}

  /** The waiter's side. lutimes and O_NOFOLLOW: a link planted as the note is never followed to touch or create a file elsewhere. */
  touch(): void {
    try {
      const now = new Date();
      try {
        fs.lutimesSync(this.path, now, now);
      } catch {
        fs.closeSync(openOwnFileForWriting(this.path, fs.constants.O_CREAT, null));
        fs.lutimesSync(this.path, now, now);
      }
    } catch {
      // Unnoted (a note that cannot be touched: a read-only or foreign file), this process waits until the holder lets
      // go for its own reasons: at least every 500 ms if it has no watch, otherwise when it hands over or closes.
    }
  }

  /**
   * The holder's side, from its taking of the lock: calls `noted` when a waiter touches the note (made here if
   * missing). Where it cannot be watched (no inotify, its limits reached, not a file) `watched` is false. A note
   * replaced or removed ends the watch ('rename'), reported as a waiter: the holder lets the lock go.
   */
  watch(noted: () => void): void {
    try {
      fs.closeSync(openOwnFileForWriting(this.path, fs.constants.O_CREAT, null));
      this.watcher = fs.watch(this.path, { persistent: false }, noted);
      this.watcher.on('error', noted);
    } catch {
      this.watcher = null;
    }
    this.seen = this.stamp();
  }

  get watched(): boolean {
    return this.watcher !== null;
  }

  unwatch(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  /** Whether a waiter touched the note since it was last looked at (a stat); when unsure, yes. */
  touchedSinceLastLook(): boolean {
    const stamp = this.stamp();
    const touched = stamp === null || stamp !== this.seen;
    this.seen = stamp;
    return touched;
  }

  /** The mtime, -1 if there is no note; null when it cannot be looked at. */
  private stamp(): number | null {
    try {
      return fs.lstatSync(this.path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    } catch {
      return null;
    }
  }
}
