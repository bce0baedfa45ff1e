import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { auditDetailsOf } from './audit-details.js';

/**
 * The span processor of the audit path. Unlike BatchSpanProcessor it has no
 * bounded queue, so it never drops a span; unlike SimpleSpanProcessor it
 * exports regardless of the sampled flag and its shutdown waits for every
 * pending export. Each audited span is exported on its own so that its caller
 * can wait for exactly its record (`whenRecorded`); batching happens below,
 * in the file sink.
 */
export class AuditSpanProcessor implements SpanProcessor {
  private readonly results = new WeakMap<object, Promise<ExportResult>>();
  private readonly pending = new Set<Promise<ExportResult>>();

  constructor(private readonly exporter: SpanExporter) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (!auditDetailsOf(span)) return;
    const result = new Promise<ExportResult>((resolve) => {
      try {
        this.exporter.export([span], resolve);
      } catch (error) {
        resolve({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
    this.results.set(span, result);
    this.pending.add(result);
    void result.then(() => this.pending.delete(result));
  }

  /** Resolves when the span's record is written; rejects with the reason it could not be. */
  async whenRecorded(span: object): Promise<void> {
    const result = await (this.results.get(span) ??
      Promise.resolve<ExportResult>({ code: ExportResultCode.FAILED, error: new Error('span has no audit record') }));
    if (result.code !== ExportResultCode.SUCCESS) throw result.error ?? new Error('audit export failed');
  }

  async forceFlush(): Promise<void> {
    await this.exporter.forceFlush?.();
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}
