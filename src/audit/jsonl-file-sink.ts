import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

interface PendingWrite {
  fileName: string;
  data: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

const NEWLINE = 0x0a;

/**
 * Appends JSONL to files in one directory, group-committing: everything
 * appended while the event loop is busy goes out in one write at the next
 * check phase, so a burst of N concurrent calls costs one syscall, not N.
 *
 * Writes are synchronous `write(2)` calls on an O_APPEND descriptor. That is
 * the lock the trail needs inside a process: no two writes can overlap or
 * reorder, and the promise of `append` settles only once its bytes are in the
 * kernel (they survive a crash of this process, not of the machine: fsync
 * modes are a separate concern). The cost is that a stalled disk stalls the
 * event loop, which for an audit trail that must not run ahead of its records
 * is the honest behaviour.
 */
export class JsonlFileSink {
  private pending: PendingWrite[] = [];
  private flushScheduled = false;
  private open: { fileName: string; fd: number; endsMidLine: boolean } | null = null;
  private closed = false;

  constructor(readonly directory: string) {}

  /** Creates the directory (0700) and opens `fileName` (0600), throwing if either is impossible. */
  prepare(fileName: string): void {
    this.descriptorFor(fileName);
  }

  /** Resolves once `data` (whole lines) has been handed to the OS; rejects with the write error. */
  append(fileName: string, data: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`audit sink for ${this.directory} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ fileName, data, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushScheduledWrites);
      }
    });
  }

  /** Writes everything pending now. Never throws: failures reject the affected appends. */
  flushSync(): void {
    const batch = this.pending;
    this.pending = [];
    for (let start = 0; start < batch.length; ) {
      let end = start + 1;
      while (end < batch.length && batch[end]!.fileName === batch[start]!.fileName) end++;
      this.writeRun(batch.slice(start, end));
      start = end;
    }
  }

  close(): void {
    this.flushSync();
    this.closed = true;
    this.closeDescriptor();
  }

  private readonly flushScheduledWrites = (): void => {
    this.flushScheduled = false;
    this.flushSync();
  };

  private writeRun(run: PendingWrite[]): void {
    const fileName = run[0]!.fileName;
    let buffer = Buffer.from(run.map((write) => write.data).join(''));
    let written = 0;
    let prefix = 0;
    try {
      const file = this.descriptorFor(fileName);
      if (file.endsMidLine) {
        // A torn line (crash, or a failed partial write) is closed off so
        // that the records after it stay parseable on their own lines.
        buffer = Buffer.concat([Buffer.of(NEWLINE), buffer]);
        prefix = 1;
      }
      while (written < buffer.length) written += writeSync(file.fd, buffer, written);
      file.endsMidLine = false;
      for (const write of run) write.resolve();
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      let end = prefix;
      for (const write of run) {
        end += Buffer.byteLength(write.data);
        if (end <= written) write.resolve();
        else write.reject(error);
      }
      // Reopening reads the last byte again, so a partial write is closed
      // off before the next record, and a recreated directory is picked up.
      this.closeDescriptor();
    }
  }

  private descriptorFor(fileName: string): { fd: number; endsMidLine: boolean } {
    if (this.open?.fileName === fileName) return this.open;
    this.closeDescriptor();
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    // a+ rather than a: the last byte is read to detect a torn final line.
    const fd = openSync(join(this.directory, fileName), 'a+', 0o600);
    const { size } = fstatSync(fd);
    let endsMidLine = false;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      endsMidLine = last[0] !== NEWLINE;
    }
    this.open = { fileName, fd, endsMidLine };
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
