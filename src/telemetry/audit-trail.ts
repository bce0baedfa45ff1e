import type { Span, Tracer } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { AlwaysOnSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { RedactingSpanProcessor } from '../audit/redaction/redacted-span.js';
import type { RedactionConfig } from '../audit/redaction/redactor.js';
import { openAuditFileOutput } from './audit-file-output.js';
import { recordAuditEvent, type AuditEvent } from './audit-event.js';
import { settledOnShutdown } from './settled-shutdown.js';
import { TrailOnlyTracer } from './trail-only-tracer.js';

/** The instrumentation scope of the trail's tracers and meter. */
export const INSTRUMENTATION_SCOPE = 'mcp-audit-trail';

export type { AuditEvent };

export interface AuditTrailConfig {
  /** Used when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES names the service. */
  serviceName?: string;
  /** Directory of the daily audit files; falls back to AUDIT_LOG_DIR, then ./logs. */
  logDir?: string;
  /** Further processors (e.g. forwarding to a collector); they see the same spans, redacted (see redacted-span.ts). */
  spanProcessors?: SpanProcessor[];
  /**
   * Which secret patterns every record and every span handed to
   * `spanProcessors` go through (`emails`); the default redactor if not
   * given. Key names are the instrumentation's business (instrumentMcpServer).
   */
  redaction?: RedactionConfig;
  /** Register as the global tracer provider, with AsyncLocalStorage context and W3C propagation. Default true. */
  register?: boolean;
  /** Reopen the audit file on SIGHUP, as logrotate's `postrotate` expects. Default true. */
  reopenOnSighup?: boolean;
}

export interface AuditTrail {
  readonly logDir: string;
  readonly tracer: Tracer;
  /** Resolves once the span's record is in the file; instrumentMcpServer(server, trail) waits on it. */
  awaitRecord(span: Span): Promise<void>;
  /**
   * Records an event that is not a tool call (an auth failure, a session
   * start): one span named after the action, one record. Resolves once the
   * record is written.
   */
  recordEvent(event: AuditEvent): Promise<void>;
  forceFlush(): Promise<void>;
  /** Writes every pending record and closes the file. */
  shutdown(): Promise<void>;
}

/** The service's resource: `serviceName`, overridden by OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES. */
export function serviceResource(serviceName = 'mcp-server'): Resource {
  return defaultResource()
    .merge(resourceFromAttributes({ 'service.name': serviceName }))
    .merge(detectResources({ detectors: [envDetector] }));
}

/**
 * Sets up tracing whose every audited span becomes a record. Throws, naming
 * the directory, if the log directory cannot be written — before a server
 * built on it accepts a single call.
 *
 * OTEL_SDK_DISABLED is deliberately not honoured here: it may switch off
 * forwarding, never the audit trail.
 */
export function startAuditTrail(config: AuditTrailConfig = {}): AuditTrail {
  const output = openAuditFileOutput(config);
  const { redactor, exporter, processor: auditProcessor } = output;
  const resource = serviceResource(config.serviceName);
  // AlwaysOn: a client's traceparent with sampled=0 must not make a call go unaudited.
  const provider = new NodeTracerProvider({
    resource,
    sampler: new AlwaysOnSampler(),
    // Whatever leaves through another processor (OTLP, metrics, the user's) carries no secret either.
    spanProcessors: [
      auditProcessor,
      ...(config.spanProcessors ?? []).map((processor) => settledOnShutdown(new RedactingSpanProcessor(processor, redactor))),
    ],
  });
  if (config.register ?? true) provider.register();

  // With no other processor, the audit processor is the only reader of the trail's spans: they need none of the SDK's machinery.
  const tracer = config.spanProcessors?.length
    ? provider.getTracer(INSTRUMENTATION_SCOPE)
    : new TrailOnlyTracer(auditProcessor, resource, INSTRUMENTATION_SCOPE);
  const awaitRecord = (span: Span): Promise<void> => auditProcessor.whenRecorded(span);
  return {
    logDir: exporter.logDir,
    tracer,
    awaitRecord,
    recordEvent: (event) => recordAuditEvent(tracer, awaitRecord, redactor, event),
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      // Each processor's shutdown flushes it first: a flush before would make a silent collector's wait count twice.
      try {
        await provider.shutdown();
      } finally {
        output.detach();
      }
    },
  };
}
