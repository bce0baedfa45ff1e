import { context as contextApi, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, SamplingDecision, type Sampler, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Resource } from '@opentelemetry/resources';
import { INSTRUMENTATION_SCOPE } from './audit-trail.js';
import { startActiveSpanWith, type ActiveSpanArgs } from './start-active-span.js';

/** Records every span and samples none: the record is written, nothing is exported on the audit's account. */
const RECORD_ONLY: Sampler = {
  shouldSample: () => ({ decision: SamplingDecision.RECORD }),
  toString: () => 'AuditRecordOnlySampler',
};

/**
 * The tracer of the NodeSDK path. Each span is first started with the
 * user's tracer, so that it belongs to the user's trace, sampling and
 * export. If that did not hand the span to the audit processor — the user's
 * sampler dropped it (a ratio, a client's traceparent with sampled=0), the
 * processor is not among the SDK's, no SDK is started — the span is started
 * again on a tracer of the audit's own that records every span and samples
 * none: the record is still written, under the same parent, while the
 * user's exporter sees only what the user's sampler chose. The span the
 * user's tracer made in vain is dropped unended, so it is never exported.
 */
export class AuditGuaranteedTracer implements Tracer {
  private readonly fallback: Tracer;
  private warned = false;

  constructor(
    private readonly userTracer: Tracer,
    auditProcessor: SpanProcessor,
    private readonly startedInAudit: (span: Span) => boolean,
    resource: Resource,
    private readonly warn: (message: string) => void,
  ) {
    this.fallback = new BasicTracerProvider({ resource, sampler: RECORD_ONLY, spanProcessors: [auditProcessor] }).getTracer(INSTRUMENTATION_SCOPE);
  }

  startSpan(name: string, options?: SpanOptions, parent: Context = contextApi.active()): Span {
    const span = this.userTracer.startSpan(name, options, parent);
    if (this.startedInAudit(span)) return span;
    // A recording span the processor never saw means the processor is missing from the SDK: say so once.
    if (span.isRecording() && !this.warned) {
      this.warned = true;
      this.warn("the audit span processor is not among the tracer provider's span processors: audit spans are recorded apart and not exported");
    }
    return this.fallback.startSpan(name, options, parent);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, parent: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: ActiveSpanArgs<F>): ReturnType<F> {
    return startActiveSpanWith((spanName, options, parent) => this.startSpan(spanName, options, parent), name, rest);
  }
}
