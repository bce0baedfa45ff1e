import type { TrailWriterStats } from './trail-writer-stats.js';
import type { JsonlFileSink } from './jsonl-file-sink.js';
import type { FsyncMode } from './trail-writer-config.js';

/** AUDIT_FSYNC applied to the sink's open file (see trail-writer-config.ts for what each mode promises). */
export class TrailFsync {
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly mode: FsyncMode,
    private readonly intervalMs: number,
    private readonly sink: JsonlFileSink,
    private readonly stats: TrailWriterStats,
  ) {}

  /** Before the sink switches to another file: `batch` syncs what the old one still has unsynced. */
  beforeSwitch(): void {
    if (this.mode === 'batch' && this.dirty) this.syncNow();
  }

  /** After whole lines reached the file: `always` syncs before their callers are answered, `batch` within the interval. */
  afterWrite(): void {
    if (this.mode === 'always') {
      this.syncNow();
    } else if (this.mode === 'batch') {
      this.dirty = true;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        if (this.dirty) this.syncNow();
      }, this.intervalMs);
    }
  }

  /** Before the sink closes: nothing written is left unsynced. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty) this.syncNow();
  }

  private syncNow(): void {
    try {
      this.sink.sync();
      this.stats.syncs++;
    } catch (error) {
      process.stderr.write(`audit: fsync failed: ${(error as Error).message}\n`);
    }
    this.dirty = false;
  }
}
