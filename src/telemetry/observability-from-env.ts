import type { Resource } from '@opentelemetry/resources';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { INSTRUMENTATION_SCOPE } from './audit-trail.js';
import { finishedWithin } from './bounded-wait.js';
import { ForwardingSpanProcessor } from './forwarding-span-processor.js';
import { OperationDurationProcessor } from './operation-duration-processor.js';
import { otlpTargetFromEnv, sdkDisabled } from './otlp-env.js';

type Env = Record<string, string | undefined>;

export interface Observability {
  /** Pass to `startAuditTrail({ spanProcessors })`; the trail's shutdown flushes and stops them. */
  spanProcessors: SpanProcessor[];
  /** One line per active output, for the startup message. */
  describe(): string[];
}

/**
 * Forwarding and metrics as the standard environment asks for them:
 * spans over OTLP/HTTP when OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_*
 * say so; `mcp.server.operation.duration` over OTLP likewise (OTEL_METRICS_*)
 * and on a Prometheus scrape endpoint when PROMETHEUS_PORT is set
 * (PROMETHEUS_HOST, default 127.0.0.1). OTEL_SDK_DISABLED=true turns the
 * OTLP outputs off; it never touches the audit trail.
 *
 * Each exporter's module is loaded only when the environment asks for it:
 * together they take longer to import than the rest of the process, and a
 * proxy or server with no forwarding configured should not wait for them.
 */
export async function observabilityFromEnv(resource: Resource, env: Env = process.env): Promise<Observability> {
  const spanProcessors: SpanProcessor[] = [];
  const lines: string[] = [];

  const traces = otlpTargetFromEnv('traces', env);
  if (traces) {
    const config = { url: traces.url };
    const exporter =
      traces.protocol === 'http/json'
        ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(config)
        : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(config);
    spanProcessors.push(new ForwardingSpanProcessor({ exporter }));
    lines.push(`forwarding spans to ${traces.url} (${traces.protocol})`);
  } else if (sdkDisabled(env)) {
    lines.push('forwarding off (OTEL_SDK_DISABLED); the audit trail is on');
  }

  const readers: MetricReader[] = [];
  const metrics = otlpTargetFromEnv('metrics', env);
  if (metrics) {
    const config = { url: metrics.url };
    const exporter =
      metrics.protocol === 'http/json'
        ? new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(config)
        : new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(config);
    const { PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const interval = Number(env['OTEL_METRIC_EXPORT_INTERVAL']) || 60_000;
    readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: Math.min(30_000, interval) }));
    lines.push(`exporting metrics to ${metrics.url} (${metrics.protocol})`);
  }
  const prometheusPort = env['PROMETHEUS_PORT']?.trim();
  if (prometheusPort) {
    const port = Number(prometheusPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PROMETHEUS_PORT=${prometheusPort} is not a port number`);
    const host = env['PROMETHEUS_HOST']?.trim() || '127.0.0.1';
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    readers.push(
      new PrometheusExporter({ host, port }, (error) => {
        if (error) process.stderr.write(`mcp-audit: Prometheus endpoint on ${host}:${port} failed: ${error.message}\n`);
      }),
    );
    lines.push(`serving metrics for Prometheus at http://${host}:${port}/metrics`);
  }
  if (readers.length > 0) {
    const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
    const meterProvider = new MeterProvider({ resource, readers });
    // As for spans: a collector that never answers must not hold up a process being stopped.
    const bounded = async (work: Promise<void>, when: string): Promise<void> => {
      if (!(await finishedWithin(work)) && metrics) {
        process.stderr.write(
          `mcp-audit: metrics not exported to ${metrics.url} at ${when}: the collector did not answer in time; the audit trail is unaffected\n`,
        );
      }
    };
    spanProcessors.push(
      new OperationDurationProcessor(
        meterProvider.getMeter(INSTRUMENTATION_SCOPE),
        () => bounded(meterProvider.shutdown(), 'shutdown'),
        () => bounded(meterProvider.forceFlush(), 'flush'),
      ),
    );
  }
  return { spanProcessors, describe: () => lines };
}
