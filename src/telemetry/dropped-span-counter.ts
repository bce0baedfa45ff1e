import { MeterProvider, MetricReader, type MeterProvider as MeterProviderType } from '@opentelemetry/sdk-metrics';

/** The BatchSpanProcessor's own self-observability counter (OTel SDK semconv). */
const PROCESSED_SPANS_METRIC = 'otel.sdk.processor.span.processed';

/** A reader that only answers `collect()`: nothing is exported anywhere. */
class CollectOnlyReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * Counts the spans a BatchSpanProcessor gave up on, from the processor's own
 * `otel.sdk.processor.span.processed` counter: `error.type=queue_full` for
 * spans dropped because the queue was full (the SDK only logs a diag warning
 * for those), and the export error's name for batches the exporter failed.
 * Pass `meterProvider` to the processor as `selfObsMeterProvider`.
 */
export class DroppedSpanCounter {
  private readonly reader = new CollectOnlyReader();
  readonly meterProvider: MeterProviderType = new MeterProvider({ readers: [this.reader] });

  /** Spans not forwarded so far, by reason. */
  async droppedByReason(): Promise<Map<string, number>> {
    const dropped = new Map<string, number>();
    const { resourceMetrics } = await this.reader.collect();
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== PROCESSED_SPANS_METRIC) continue;
        for (const point of metric.dataPoints) {
          const reason = point.attributes['error.type'];
          if (reason === undefined || typeof point.value !== 'number') continue;
          dropped.set(String(reason), (dropped.get(String(reason)) ?? 0) + point.value);
        }
      }
    }
    return dropped;
  }

  shutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}
