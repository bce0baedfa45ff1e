import { join } from 'node:path';
import type { AuditRecord } from '../record/audit-record.js';
import { type OnTightened, resolveLogDirectory } from '../trail/owned-files.js';
import { writerRecord } from '../trail/writer-records.js';
import { formatCheckpoint } from './checkpoint.js';
import { CHECKPOINT_DIR, checkpointFileName, writeCheckpointFile, writeCheckpointFileAsync } from './checkpoint-files.js';
import type { SigningConfig } from './signing-config.js';
import { signNote } from './signed-note.js';
import { TrailTree } from './trail-tree.js';

/** Appends a record the writer adds itself (a failed mirror copy); its callback is ignored. */
export type RecordAppender = (record: AuditRecord) => void;

/**
 * Signs checkpoints of the trail's tree (see TrailTree) into `<log dir>/checkpoints/`: once `every` lines are
 * unsigned (under the lock, right after the write), when lines stayed unsigned `intervalMs` (from a timer: a
 * checkpoint of the size this process last saw is a true prefix of the trail, so no lock is needed), and at a
 * clean close. A crash loses at most that window of signed coverage, never records. Nothing here fails a write:
 * an error stops signing, said once on stderr; a mirror copy is made asynchronously, its failure reported on
 * stderr and in the trail.
 */
export class Checkpointer {
  private readonly tree: TrailTree;
  private readonly directory: string;
  private readonly mirrorDirectory: string | null;
  private timer: NodeJS.Timeout | null = null;
  private broken = false;
  private append: RecordAppender | null = null;
  private onTightened: OnTightened | null = null;

  constructor(
    logDirectory: string,
    private readonly config: SigningConfig,
  ) {
    this.tree = new TrailTree(logDirectory);
    this.directory = join(logDirectory, CHECKPOINT_DIR);
    // As the log directory: a link configured as the mirror is the operator's choice (a mount elsewhere), resolved
    // once now; a link put in its place later is refused by every copy, never followed.
    this.mirrorDirectory = config.mirror ? resolveLogDirectory(config.mirror) : null;
  }

  /** The writer's way to add records to the trail, and to record loose modes tightened on the tree's files and `checkpoints/`. */
  attach(append: RecordAppender, onTightened: OnTightened | null = null): void {
    this.append = append;
    this.onTightened = onTightened;
    this.tree.onTightened = onTightened;
  }

  /** Under the lock, right after `bytes` (whole lines) reached `file` at `offset`. */
  written(file: string, offset: number, bytes: Buffer): void {
    if (this.broken) return;
    try {
      this.tree.extend(file, offset, bytes);
      const due = this.tree.range.size - this.tree.signed >= this.config.every;
      if (due) this.sign();
      this.tree.save(due);
      if (!due && !this.timer && this.tree.range.size > this.tree.signed) {
        this.timer = setTimeout(this.signLate, this.config.intervalMs).unref();
      }
    } catch (error) {
      this.broken = true;
      process.stderr.write(`audit: checkpoints stopped: ${(error as Error).message}\n`);
    }
  }

  /** A clean shutdown: signs what is left, and copies it to the mirror before returning (no call waits now). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.signLate(true);
  }

  private readonly signLate = (closing = false): void => {
    this.timer = null;
    if (this.broken || this.tree.range.size <= this.tree.signed) return;
    try {
      this.sign(closing);
    } catch (error) {
      process.stderr.write(`audit: checkpoint not written: ${(error as Error).message}\n`);
    }
  };

  private sign(mirrorNow = false): void {
    const size = this.tree.range.size;
    const note = signNote(
      formatCheckpoint({ origin: this.config.origin, size, root: this.tree.range.root() }),
      this.config.origin,
      this.config.privateKey,
    );
    const name = checkpointFileName(size);
    if (!writeCheckpointFile(this.directory, name, note, this.onTightened)) {
      process.stderr.write(`audit: ${join(this.directory, name)} already holds another checkpoint of size ${size}: left as it is\n`);
    }
    this.tree.signed = size;
    if (!this.mirrorDirectory) return;
    if (mirrorNow) this.mirrorNow(this.mirrorDirectory, name, note);
    else void this.mirror(this.mirrorDirectory, name, note);
  }

  /**
   * Asynchronous, off the path of every call: a slow or failing mirror (a network mount) holds nothing up. Complete
   * or not at all (a temporary name, then a link), and never over a different checkpoint of that size (a fork).
   */
  private async mirror(directory: string, name: string, note: string): Promise<void> {
    try {
      if (!(await writeCheckpointFileAsync(directory, name, note))) this.mirrorFailed(directory, name, new Error(ANOTHER_NOTE));
    } catch (error) {
      this.mirrorFailed(directory, name, error);
    }
  }

  private mirrorNow(directory: string, name: string, note: string): void {
    try {
      if (!writeCheckpointFile(directory, name, note)) this.mirrorFailed(directory, name, new Error(ANOTHER_NOTE));
    } catch (error) {
      this.mirrorFailed(directory, name, error);
    }
  }

  private mirrorFailed(directory: string, name: string, error: unknown): void {
    const message = `checkpoint ${name} not copied to ${directory}: ${(error as Error).message}`;
    process.stderr.write(`audit: ${message}\n`);
    this.append?.(mirrorFailure(message));
  }
}

const ANOTHER_NOTE = 'the mirror already holds another checkpoint of that size: left as it is';

/** The writer's own record of a failed mirror copy, in the shape of `recovery` and `audit_gap`. */
function mirrorFailure(message: string): AuditRecord {
  return writerRecord(new Date().toISOString(), 'mcp-audit', {
    action: 'checkpoint_mirror_failed',
    input_summary: {},
    result_summary: null,
    success: false,
    error: message,
  });
}
