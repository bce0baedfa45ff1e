import { trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ReadableSpan, Span as SdkSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AuditSpanProcessor } from '../audit/audit-span-processor.js';
import { RedactingSpanProcessor } from '../audit/redaction/redacted-span.js';
import type { RedactionConfig } from '../audit/redaction/redactor.js';
import { openAuditFileOutput } from './audit-file-output.js';
import { recordAuditEvent, type AuditEvent } from './audit-event.js';
import { AuditGuaranteedTracer } from './audit-guaranteed-tracer.js';
import { INSTRUMENTATION_SCOPE, serviceResource } from './audit-trail.js';

export interface SdkAuditTrailConfig {
  /** The service of records whose span the user's SDK dropped; OTEL_SERVICE_NAME overrides it, as in the SDK. */
  serviceName?: string;
  /** Directory of the daily audit files; falls back to AUDIT_LOG_DIR, then ./logs. */
  logDir?: string;
  /** Which secret patterns every record and every span passed through `redacting` go through. */
  redaction?: RedactionConfig;
  /** Reopen the audit file on SIGHUP, as logrotate's `postrotate` expects. Default true. */
  reopenOnSighup?: boolean;
}

/** The audit trail inside the user's own OpenTelemetry NodeSDK: see docs/nodesdk.md. */
export interface SdkAuditTrail {
  readonly logDir: string;
  /** Goes first in the NodeSDK's `spanProcessors`: it writes the record of every MCP operation span. */
  readonly spanProcessor: SpanProcessor;
  /** The global tracer, with every MCP operation span recorded whatever the SDK's sampler says. */
  readonly tracer: Tracer;
  awaitRecord(span: Span): Promise<void>;
  /** Records an event that is not a tool call (an auth failure); resolves once the record is written. */
  recordEvent(event: AuditEvent): Promise<void>;
  /** Wraps one of the user's processors so that what it exports carries no secret the redactor knows. */
  redacting(processor: SpanProcessor): SpanProcessor;
  forceFlush(): Promise<void>;
  /** Writes every pending record and closes the file; the NodeSDK's shutdown does the same. */
  shutdown(): Promise<void>;
}

/**
 * The audit processor as handed to the user's SDK: it notes which spans it
 * saw start, so that the tracer can tell a span the SDK dropped, and shuts
 * down once however many providers hold it.
 */
class StartNotingProcessor implements SpanProcessor {
  private readonly started = new WeakSet<object>();
  private closed: Promise<void> | undefined;

  constructor(private readonly audit: AuditSpanProcessor) {}

  saw(span: object): boolean {
    return this.started.has(span);
  }

  onStart(span: SdkSpan, parentContext: Context): void {
    this.started.add(span);
    this.audit.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.audit.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.audit.forceFlush();
  }

  shutdown(): Promise<void> {
    return (this.closed ??= this.audit.shutdown());
  }
}

/**
 * The audit trail for a service that starts its own NodeSDK: pass
 * `spanProcessor` in the SDK's `spanProcessors`, then the trail to
 * instrumentMcpServer. Throws, naming the directory, if the log directory
 * cannot be written. Builds no provider of its own for the user's spans.
 */
export function auditTrailForNodeSdk(config: SdkAuditTrailConfig = {}): SdkAuditTrail {
  const output = openAuditFileOutput(config);
  const { redactor, exporter, processor: audit } = output;
  const spanProcessor = new StartNotingProcessor(audit);
  const warn = (message: string): void => void process.stderr.write(`mcp-audit-trail: ${message}\n`);
  const tracer = new AuditGuaranteedTracer(
    trace.getTracer(INSTRUMENTATION_SCOPE),
    spanProcessor,
    (span) => spanProcessor.saw(span),
    serviceResource(config.serviceName),
    warn,
  );
  const awaitRecord = (span: Span): Promise<void> => audit.whenRecorded(span);
  return {
    logDir: exporter.logDir,
    spanProcessor,
    tracer,
    awaitRecord,
    recordEvent: (event) => recordAuditEvent(tracer, awaitRecord, redactor, event),
    redacting: (processor) => new RedactingSpanProcessor(processor, redactor),
    forceFlush: () => spanProcessor.forceFlush(),
    async shutdown() {
      await spanProcessor.shutdown();
      output.detach();
    },
  };
}
