import { closeSync, constants, fdatasyncSync, fstatSync, mkdirSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory } from './fsync-directory.js';
import { checkOwnDirectory, openOwnFileForWriting, type OnTightened } from './owned-files.js';
import { asError } from '../as-error.js';

/** A write that failed after `written` of its bytes reached the file. */
export class PartialWriteError extends Error {
  constructor(
    readonly written: number,
    cause: Error,
  ) {
    super(cause.message, { cause });
    this.name = 'PartialWriteError';
  }
}

/**
 * The file layer of the trail: appends bytes to files in one directory with
 * synchronous `write(2)` calls on an O_APPEND descriptor, looping over short
 * writes. Synchronous on purpose: no two writes of this process can overlap
 * or reorder, and when `append` returns the bytes are in the kernel (they
 * survive a crash of this process; fsync is a separate choice). A stalled
 * disk stalls the event loop, which for an audit trail that must not run
 * ahead of its records is the honest behaviour.
 *
 * One descriptor is kept open; it is reopened when the file at the path is
 * no longer the one it points at (moved away by logrotate or a shipper).
 * Each open checks the directory and the file (owned-files.ts): a planted
 * link or foreign file is refused, loose permissions tightened and reported
 * to `onTightened`.
 */
export class JsonlFileSink {
  /** Directories fsynced by `sync()` so far: each holds the name of a file or directory this sink opened or created. */
  directorySyncs = 0;
  private open: { fileName: string; fd: number; ino: number } | null = null;
  private closed = false;
  /**
   * Directories whose entries the next `sync()` makes durable: fdatasync of a
   * file does not persist its name, so a file created since the last sync
   * (a new day, a new part) could vanish in a power cut with its synced data.
   */
  private readonly unsyncedDirectories = new Set<string>();

  constructor(
    readonly directory: string,
    private readonly onTightened: OnTightened | null = null,
  ) {}

  /** Creates the directory (0700) and opens `fileName` (0600), throwing if either is impossible. */
  prepare(fileName: string): void {
    this.descriptorFor(fileName, null);
  }

  /**
   * Appends `data`, returning the file's inode. `expectedIno` is the inode a
   * `stat` of the path found, or null if there was no file: a descriptor to
   * any other inode (a moved file) is closed and the path (re)opened.
   * Throws PartialWriteError, and closes the descriptor, if the write fails.
   */
  append(fileName: string, data: Buffer, expectedIno: number | null): number {
    if (this.closed) throw new Error(`audit sink for ${this.directory} is closed`);
    const file = this.descriptorFor(fileName, expectedIno);
    let written = 0;
    try {
      while (written < data.length) written += writeSync(file.fd, data, written);
    } catch (cause) {
      this.closeDescriptor();
      throw new PartialWriteError(written, asError(cause));
    }
    return file.ino;
  }

  /**
   * fdatasync of the open file, if any, then fsync of each directory whose
   * entry changed since (once per opened file, not per call). Throws the
   * first error after trying them all; a directory is not retried.
   */
  sync(): void {
    if (this.open) fdatasyncSync(this.open.fd);
    const directories = [...this.unsyncedDirectories];
    this.unsyncedDirectories.clear();
    let failure: unknown = null;
    for (const directory of directories) {
      try {
        fsyncDirectory(directory);
        this.directorySyncs++;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }

  /** Closes the descriptor; the next append reopens by path (SIGHUP, after a move). */
  reopen(): void {
    this.closeDescriptor();
  }

  close(): void {
    this.closed = true;
    this.closeDescriptor();
  }

  private descriptorFor(fileName: string, expectedIno: number | null): { fd: number; ino: number } {
    if (this.open?.fileName === fileName && this.open.ino === expectedIno) return this.open;
    this.closeDescriptor();
    const firstCreated = mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    // Every directory mkdir created is an entry in its parent, from the log directory up to the first one created.
    if (firstCreated)
      for (let created = this.directory; ; created = dirname(created)) {
        this.unsyncedDirectories.add(dirname(created));
        if (created === firstCreated || dirname(created) === created) break;
      }
    checkOwnDirectory(this.directory, this.onTightened);
    const fd = openOwnFileForWriting(join(this.directory, fileName), constants.O_APPEND | constants.O_CREAT, this.onTightened);
    // Created now or by another process that may not have synced its name: either way, sync the directory once.
    this.unsyncedDirectories.add(this.directory);
    this.open = { fileName, fd, ino: fstatSync(fd).ino };
    return this.open;
  }

  private closeDescriptor(): void {
    if (!this.open) return;
    try {
      closeSync(this.open.fd);
    } catch {
      // The descriptor is gone either way; the next write reopens.
    }
    this.open = null;
  }
}
