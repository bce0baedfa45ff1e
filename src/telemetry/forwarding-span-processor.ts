import { TraceFlags, type Context } from '@opentelemetry/api';
import { getNumberFromEnv } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type Span, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { redactedSpan } from '../audit/redaction/redacted-span.js';
import { COLLECTOR_WAIT_MS, finishedWithin } from './bounded-wait.js';
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
  /**
   * How long forceFlush and shutdown wait for a collector, default
   * COLLECTOR_WAIT_MS. Spans still queued or in flight when shutdown gives up
   * are reported as abandoned.
   */
  flushTimeoutMillis?: number;
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
  private readonly flushTimeoutMillis: number;
  /** Spans handed to the batch processor: what was neither forwarded nor dropped is still queued or in flight. */
  private accepted = 0;
  private shuttingDown = false;
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
    this.flushTimeoutMillis = config.flushTimeoutMillis ?? COLLECTOR_WAIT_MS;
    const interval = option(config.reportIntervalMillis, 'MCP_AUDIT_DROP_REPORT_INTERVAL_MS') ?? 10_000;
    this.timer = setInterval(() => void this.reportDrops(false), interval).unref();
  }

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // The batch processor takes sampled spans only, and none after shutdown.
    if (this.shuttingDown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.accepted += 1;
    // Also when used on its own, outside startAuditTrail (which hands it a redacted span already).
    this.batch.onEnd(redactedSpan(span));
  }

  /** Spans not forwarded so far, all reasons together. */
  async droppedSpans(): Promise<number> {
    let total = 0;
    for (const count of (await this.drops.count()).dropped.values()) total += count;
    return total;
  }

  async forceFlush(): Promise<void> {
    // A failed export is already counted; it must not fail or stall the caller's flush.
    await finishedWithin(this.batch.forceFlush(), this.flushTimeoutMillis);
    await this.reportDrops(false);
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.timer);
    await finishedWithin(this.batch.shutdown(), this.flushTimeoutMillis);
    await this.reportDrops(true);
    await this.drops.shutdown();
  }

  /** Writes one line if spans were lost since the last report; reports never overlap. */
  private reportDrops(final: boolean): Promise<void> {
    this.reporting = this.reporting.then(() => this.reportOnce(final));
    return this.reporting;
  }

  private async reportOnce(final: boolean): Promise<void> {
    const counts = await this.drops.count().catch(() => ({ processed: 0, dropped: new Map<string, number>() }));
    const byReason = counts.dropped;
    // At shutdown, whatever is still queued or in flight will never be forwarded.
    const abandoned = final ? this.accepted - counts.processed : 0;
    if (abandoned > 0) byReason.set('abandoned at shutdown', abandoned);
    let total = 0;
    for (const count of byReason.values()) total += count;
    if (total <= this.reported) return;
    const reasons = [...byReason].map(([reason, count]) => `${reason}: ${count}`).join(', ');
    this.report(
      `mcp-audit: ${total - this.reported} spans not forwarded since the last report (${total} in total; ${reasons}); the audit trail is unaffected`,
    );
    this.reported = total;
  }
}
