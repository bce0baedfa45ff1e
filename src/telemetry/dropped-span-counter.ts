import { MeterProvider, MetricReader, type MeterProvider as MeterProviderType } from '@opentelemetry/sdk-metrics';

/** The BatchSpanProcessor's own self-observability counter (OTel SDK semconv). */
const PROCESSED_SPANS_METRIC = 'otel.sdk.processor.span.processed';

/** A reader that only answers `collect()`: nothing is exported anywhere. */
class CollectOnlyReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface ProcessedSpans {
  /** Spans whose processing finished, forwarded or not. */
  processed: number;
  /** Spans not forwarded, by reason: `queue_full`, or the export error's name. */
  dropped: Map<string, number>;
}

/**
 * Counts what a BatchSpanProcessor did with its spans, from the processor's
 * own `otel.sdk.processor.span.processed` counter: `error.type=queue_full`
 * for spans dropped because the queue was full (the SDK only logs a diag
 * warning for those), the export error's name for batches the exporter
 * failed, no error.type for spans forwarded. Pass `meterProvider` to the
 * processor as `selfObsMeterProvider`.
 */
export class DroppedSpanCounter {
  private readonly reader = new CollectOnlyReader();
  readonly meterProvider: MeterProviderType = new MeterProvider({ readers: [this.reader] });

  async count(): Promise<ProcessedSpans> {
    const counts: ProcessedSpans = { processed: 0, dropped: new Map() };
    const { resourceMetrics } = await this.reader.collect();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== PROCESSED_SPANS_METRIC) continue;
        for (const point of metric.dataPoints) {
          if (typeof point.value !== 'number') continue;
          counts.processed += point.value;
          const reason = point.attributes['error.type'];
          if (reason !== undefined) counts.dropped.set(String(reason), (counts.dropped.get(String(reason)) ?? 0) + point.value);
        }
      }
    }
    return counts;
  }

  shutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}
