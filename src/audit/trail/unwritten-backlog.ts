import type { AuditRecord } from '../record/audit-record.js';
import { gapRecord, type WriteGap } from './writer-records.js';

/** AUDIT_BACKLOG_MAX_BYTES default: what a full disk may hold in memory, in records' JSON length. */
export const DEFAULT_BACKLOG_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Callers' records that could not be written (full disk, I/O error). Their
 * calls were already answered with an error (fail closed); the records are
 * kept, up to `maxBytes` of JSON, so that a full disk loses none of them: at
 * the next commit that can write, an `audit_gap` record says what happened,
 * then the kept records follow as they were built, with `late: true` and
 * their own timestamps. Past the bound records are only counted (the
 * exporter has printed each one on stderr).
 */
export class UnwrittenBacklog {
  private kept: Array<{ record: AuditRecord; bytes: number }> = [];
  private bytes = 0;
  private gap: WriteGap | null = null;
  /** The gap record and late copies handed out by the last `records()`, to know which were written. */
  private outgoingGap: AuditRecord | null = null;
  private outgoingLate: AuditRecord[] = [];

  constructor(private readonly maxBytes: number) {}

  get isEmpty(): boolean {
    return this.gap === null && this.kept.length === 0;
  }

  /** A record whose write failed with `error`: kept within the bound, counted either way. */
  add(record: AuditRecord, error: Error): void {
    const bytes = JSON.stringify(record).length;
    const keep = this.bytes + bytes <= this.maxBytes;
    if (keep) {
      this.kept.push({ record, bytes });
      this.bytes += bytes;
    }
    const gap = (this.gap ??= {
      records: 0,
      succeeded: 0,
      kept: 0,
      lost: 0,
      first_timestamp: record.timestamp,
      last_timestamp: record.timestamp,
      error: error.message,
    });
    gap.records++;
    if (record.success) gap.succeeded++;
    if (keep) gap.kept++;
    else gap.lost++;
    gap.last_timestamp = record.timestamp;
  }

  /** What to write before anything else: the gap record (if a gap is still unreported), then every kept record, marked late. */
  records(timestamp: string, fallbackService: string): AuditRecord[] {
    const service = this.kept[0]?.record.service ?? fallbackService;
    this.outgoingGap = this.gap ? gapRecord(timestamp, service, this.gap) : null;
    this.outgoingLate = this.kept.map(({ record }) => ({ ...record, late: true }));
    return this.outgoingGap ? [this.outgoingGap, ...this.outgoingLate] : this.outgoingLate;
  }

  /** `record` reached the file: forget it (records are written in order, so a late one is the oldest kept). */
  written(record: AuditRecord): void {
    if (record === this.outgoingGap) {
      this.gap = null;
      this.outgoingGap = null;
    } else if (record === this.outgoingLate[0]) {
      this.outgoingLate.shift();
      this.bytes -= this.kept.shift()!.bytes;
    }
  }
}
