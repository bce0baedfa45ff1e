import type { Context } from '@opentelemetry/api';
import { getNumberFromEnv } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { DroppedSpanCounter } from './dropped-span-counter.js';

export interface ForwardingSpanProcessorConfig {
  exporter: SpanExporter;
  /** Each falls back to its OTEL_BSP_* variable, then to the SDK default (2048, 512, 5000 ms, 30000 ms). */
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  /** At most one drop report per interval; falls back to MCP_AUDIT_DROP_REPORT_INTERVAL_MS, then 10 s. */
  reportIntervalMillis?: number;
  /** Where drop reports go; stderr by default (stdout is JSON-RPC on stdio). */
  report?: (line: string) => void;
}

/**
 * Forwards spans to a collector through its own BatchSpanProcessor, apart
 * from the audit path: a collector that is down, slow or failing costs a
 * queue push per span, its queue is bounded (memory cannot grow without
 * limit), and its failures never reach the audit trail or the caller's
 * shutdown. Spans it gives up on are counted and reported, rate-limited.
 */
export class ForwardingSpanProcessor implements SpanProcessor {
  private readonly batch: BatchSpanProcessor;
  private readonly drops = new DroppedSpanCounter();
  private readonly report: (line: string) => void;
  private readonly timer: NodeJS.Timeout;
  private reported = 0;
  private reporting = Promise.resolve();

  constructor(config: ForwardingSpanProcessorConfig) {
    const option = (value: number | undefined, env: string): number | undefined => value ?? getNumberFromEnv(env);
    const settings = {
      maxQueueSize: option(config.maxQueueSize, 'OTEL_BSP_MAX_QUEUE_SIZE'),
      maxExportBatchSize: option(config.maxExportBatchSize, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
      scheduledDelayMillis: option(config.scheduledDelayMillis, 'OTEL_BSP_SCHEDULE_DELAY'),
      exportTimeoutMillis: option(config.exportTimeoutMillis, 'OTEL_BSP_EXPORT_TIMEOUT'),
    };
    this.batch = new BatchSpanProcessor({
      exporter: config.exporter,
      selfObsMeterProvider: this.drops.meterProvider,
      ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
    });
    this.report = config.report ?? ((line) => void process.stderr.write(`${line}\n`));
    const interval = option(config.reportIntervalMillis, 'MCP_AUDIT_DROP_REPORT_INTERVAL_MS') ?? 10_000;
    this.timer = setInterval(() => void this.reportDrops(), interval).unref();
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.batch.onEnd(span);
  }

  /** Spans not forwarded so far, all reasons together. */
  async droppedSpans(): Promise<number> {
    let total = 0;
    for (const count of (await this.drops.droppedByReason()).values()) total += count;
    return total;
  }

  async forceFlush(): Promise<void> {
    // A failed export is already counted; it must not fail the caller's flush.
    await this.batch.forceFlush().catch(() => {});
    await this.reportDrops();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.batch.shutdown().catch(() => {});
    await this.reportDrops();
    await this.drops.shutdown();
  }

  /** Writes one line if spans were dropped since the last report; reports never overlap. */
  private reportDrops(): Promise<void> {
    this.reporting = this.reporting.then(() => this.reportOnce());
    return this.reporting;
  }

  private async reportOnce(): Promise<void> {
    const byReason = await this.drops.droppedByReason().catch(() => new Map<string, number>());
    let total = 0;
    for (const count of byReason.values()) total += count;
    if (total <= this.reported) return;
    const reasons = [...byReason].map(([reason, count]) => `${reason}: ${count}`).join(', ');
    this.report(`mcp-audit: ${total - this.reported} spans not forwarded since the last report (${total} in total; ${reasons}); the audit trail is unaffected`);
    this.reported = total;
  }
}
