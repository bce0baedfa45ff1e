import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { auditDetailsOf } from './record/audit-details.js';
import type { AuditRecord } from './record/audit-record.js';
import { ChainedTrailWriter } from './trail/chained-trail-writer.js';
import { spanToAuditRecord } from './record/span-to-record.js';
import { trailWriterConfigFromEnv, type TrailWriterConfig } from './trail/trail-writer-config.js';
import { asError } from './as-error.js';
import { getDefaultRedactor, type Redactor } from './redaction/redactor.js';

export interface JsonlAuditExporterConfig {
  /** Directory of the daily files; falls back to AUDIT_LOG_DIR, then ./logs. */
  logDir?: string;
  /**
   * Called with records that could not be written when their calls ended. The
   * writer keeps them to write them late (within its bound); the default also
   * prints them to stderr, so that a process that dies before space returns
   * still leaves them somewhere a human or a log collector can find them.
   */
  onUnwrittenRecords?: (records: AuditRecord[], error: Error) => void;
  /** Chain, fsync, size cap, retention, lock settings; each falls back to its AUDIT_* variable. */
  writer?: Omit<Partial<TrailWriterConfig>, 'directory'>;
  /** The secret patterns every record goes through; the default redactor (and AUDIT_REDACT_EMAILS) if not given. */
  redactor?: Redactor;
}

function printUnwrittenRecords(records: AuditRecord[], error: Error): void {
  process.stderr.write(
    `audit: could not write ${records.length} record(s) yet: ${error.message}; kept in memory (up to AUDIT_BACKLOG_MAX_BYTES) to be written late\n`,
  );
  for (const record of records) process.stderr.write(`audit: unwritten record ${JSON.stringify(record)}\n`);
}

/**
 * An OpenTelemetry SpanExporter that appends one JSONL audit record per
 * audited span to `<logDir>/audit_<UTC date>.jsonl`, hash-chained (see
 * ChainedTrailWriter). Spans without audit details (other instrumentation's
 * spans) are ignored.
 *
 * `export` never throws and calls back once the records are written: SUCCESS,
 * or FAILED with the write error.
 */
export class JsonlAuditExporter implements SpanExporter {
  readonly logDir: string;
  readonly writer: ChainedTrailWriter;
  private readonly onUnwrittenRecords: (records: AuditRecord[], error: Error) => void;
  private readonly redactor: Redactor;
  private isShutdown = false;

  constructor(config: JsonlAuditExporterConfig = {}) {
    this.logDir = config.logDir ?? (process.env['AUDIT_LOG_DIR'] || 'logs');
    this.writer = new ChainedTrailWriter({ ...trailWriterConfigFromEnv(this.logDir), ...config.writer });
    this.onUnwrittenRecords = config.onUnwrittenRecords ?? printUnwrittenRecords;
    this.redactor = config.redactor ?? getDefaultRedactor();
  }

  /**
   * Opens today's file now, so that an unwritable directory fails at startup
   * with its path, and checks (repairing after a crash) where the trail ends.
   */
  checkWritable(): void {
    try {
      this.writer.prepare();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`audit log directory ${this.logDir} is not writable: ${reason}`, { cause: error });
    }
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.isShutdown) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('JsonlAuditExporter is shut down') });
      return;
    }
    const records: AuditRecord[] = [];
    try {
      for (const span of spans) {
        const details = auditDetailsOf(span);
        if (details) records.push(spanToAuditRecord(span, details, this.redactor));
      }
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: asError(error) });
      return;
    }
    if (records.length === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    const failed = (error: Error): void => {
      this.onUnwrittenRecords(records, error);
      resultCallback({ code: ExportResultCode.FAILED, error });
    };
    // Callbacks, not promises: under the AsyncLocalStorage context manager every promise costs async-hooks work.
    if (records.length === 1) {
      // The audit processor exports one span at a time: its callback answers the export directly.
      this.writer.appendWithCallback(records[0]!, (error) => (error ? failed(error) : resultCallback({ code: ExportResultCode.SUCCESS })));
      return;
    }
    // Several: SUCCESS once all are written; FAILED (once, with all the records) at the first error.
    let remaining = records.length;
    const done = (error?: Error): void => {
      if (remaining <= 0) return;
      if (error) {
        remaining = 0;
        failed(error);
      } else if (--remaining === 0) resultCallback({ code: ExportResultCode.SUCCESS });
    };
    for (const record of records) this.writer.appendWithCallback(record, done);
  }

  /** Reopens the day file by path on the next write (SIGHUP after logrotate; a move is also noticed by inode). */
  reopen(): void {
    this.writer.reopen();
  }

  /** Nothing is held beyond the current event-loop turn; this writes it now. */
  forceFlush(): Promise<void> {
    this.writer.flushSync();
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.isShutdown = true;
    this.writer.close();
    return Promise.resolve();
  }
}
