import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { auditDetailsOf } from './audit-details.js';
import { auditFileNameFor, type AuditRecord } from './audit-record.js';
import { JsonlFileSink } from './jsonl-file-sink.js';
import { spanToAuditRecord } from './span-to-record.js';

export interface JsonlAuditExporterConfig {
  /** Directory of the daily files; falls back to AUDIT_LOG_DIR, then ./logs. */
  logDir?: string;
  /**
   * Called with records that could not be written. The default prints them to
   * stderr, so that a full disk still leaves the record somewhere a human or
   * a log collector can find it.
   */
  onUnwrittenRecords?: (records: AuditRecord[], error: Error) => void;
}

function printUnwrittenRecords(records: AuditRecord[], error: Error): void {
  process.stderr.write(`audit: could not write ${records.length} record(s): ${error.message}\n`);
  for (const record of records) process.stderr.write(`audit: unwritten record ${JSON.stringify(record)}\n`);
}

/**
 * An OpenTelemetry SpanExporter that appends one JSONL audit record per
 * audited span to `<logDir>/audit_<UTC date>.jsonl`. Spans without audit
 * details (other instrumentation's spans) are ignored.
 *
 * `export` never throws and calls back once the records are in the kernel:
 * SUCCESS, or FAILED with the write error.
 */
export class JsonlAuditExporter implements SpanExporter {
  readonly logDir: string;
  private readonly sink: JsonlFileSink;
  private readonly onUnwrittenRecords: (records: AuditRecord[], error: Error) => void;
  private isShutdown = false;

  constructor(config: JsonlAuditExporterConfig = {}) {
    this.logDir = config.logDir ?? (process.env['AUDIT_LOG_DIR'] || 'logs');
    this.sink = new JsonlFileSink(this.logDir);
    this.onUnwrittenRecords = config.onUnwrittenRecords ?? printUnwrittenRecords;
  }

  /** Opens today's file now, so that an unwritable directory fails at startup with its path. */
  checkWritable(now = new Date()): void {
    try {
      this.sink.prepare(auditFileNameFor(now.toISOString()));
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
    let records: AuditRecord[];
    try {
      records = spans.flatMap((span) => {
        const details = auditDetailsOf(span);
        return details ? [spanToAuditRecord(span, details)] : [];
      });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    if (records.length === 0) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    Promise.all(this.appendByFile(records)).then(
      () => resultCallback({ code: ExportResultCode.SUCCESS }),
      (error: Error) => {
        this.onUnwrittenRecords(records, error);
        resultCallback({ code: ExportResultCode.FAILED, error });
      },
    );
  }

  /** Nothing is held beyond the current event-loop turn; this writes it now. */
  forceFlush(): Promise<void> {
    this.sink.flushSync();
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.isShutdown = true;
    this.sink.close();
    return Promise.resolve();
  }

  private appendByFile(records: AuditRecord[]): Promise<void>[] {
    const linesByFile = new Map<string, string>();
    for (const record of records) {
      const fileName = auditFileNameFor(record.timestamp);
      linesByFile.set(fileName, (linesByFile.get(fileName) ?? '') + JSON.stringify(record) + '\n');
    }
    return [...linesByFile].map(([fileName, lines]) => this.sink.append(fileName, lines));
  }
}
