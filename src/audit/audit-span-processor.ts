import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { auditDetailsOf } from './record/audit-details.js';
import { asError } from './as-error.js';

/** One span's export: its result once the exporter called back, and who waits for it until then. */
interface PendingExport {
  result: ExportResult | undefined;
  waiters: Array<(result: ExportResult) => void> | undefined;
}

function failureOf(result: ExportResult): Error {
  return result.error ?? new Error('audit export failed');
}

function waitFor(pending: PendingExport): Promise<ExportResult> {
  if (pending.result) return Promise.resolve(pending.result);
  return new Promise((resolve) => (pending.waiters ??= []).push(resolve));
}

/**
 * The span processor of the audit path. Unlike BatchSpanProcessor it has no
 * bounded queue, so it never drops a span; unlike SimpleSpanProcessor it
 * exports regardless of the sampled flag and its shutdown waits for every
 * pending export. Each audited span is exported on its own so that its caller
 * can wait for exactly its record (`whenRecorded`); batching happens below,
 * in the file sink.
 *
 * The export's callback is kept as it is, not wrapped in a promise: a promise
 * is made only for whoever asks (`whenRecorded`, `forceFlush`), since every
 * promise costs an async-hooks round trip per call once a context manager runs.
 */
export class AuditSpanProcessor implements SpanProcessor {
  private readonly exports = new WeakMap<object, PendingExport>();
  private readonly pending = new Set<PendingExport>();

  constructor(private readonly exporter: SpanExporter) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (!auditDetailsOf(span)) return;
    const pending: PendingExport = { result: undefined, waiters: undefined };
    this.exports.set(span, pending);
    this.pending.add(pending);
    const done = (result: ExportResult): void => {
      if (pending.result) return; // an exporter that calls back twice: the first answer stands
      pending.result = result;
      this.pending.delete(pending);
      if (pending.waiters) for (const waiter of pending.waiters) waiter(result);
      pending.waiters = undefined;
    };
    try {
      this.exporter.export([span], done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: asError(error) });
    }
  }

  /** Resolves when the span's record is written; rejects with the reason it could not be. */
  whenRecorded(span: object): Promise<void> {
    const pending = this.exports.get(span);
    if (!pending) return Promise.reject(new Error('span has no audit record'));
    if (pending.result) return pending.result.code === ExportResultCode.SUCCESS ? Promise.resolve() : Promise.reject(failureOf(pending.result));
    return new Promise((resolve, reject) => {
      (pending.waiters ??= []).push((result) => (result.code === ExportResultCode.SUCCESS ? resolve() : reject(failureOf(result))));
    });
  }

  async forceFlush(): Promise<void> {
    await this.exporter.forceFlush?.();
    await Promise.all([...this.pending].map(waitFor));
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}
