import { context as contextApi, SpanKind, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { startActiveSpanWith, type ActiveSpanArgs } from './start-active-span.js';
import { TrailOnlySpan, type TrailOnlySpanScope } from './trail-only-span.js';

/**
 * The tracer of a trail whose spans nobody but the audit processor reads
 * (startAuditTrail with no other span processor): its spans carry the same
 * ids, parent, timing, status and attributes as the SDK's, without the
 * SDK's sampler, limits, metrics and processor chain. Each audited call
 * then costs about 7 µs of CPU less, more on a cold call (bench/ANALYSIS.md). Every span is
 * recorded: there is no sampling to drop one, and suppressed tracing (an
 * exporter's own requests) does not apply to the audit.
 */
export class TrailOnlyTracer implements Tracer {
  private readonly scope: TrailOnlySpanScope;

  constructor(processor: TrailOnlySpanScope['processor'], resource: Resource, name: string) {
    this.scope = { processor, resource, instrumentationScope: { name } };
  }

  startSpan(name: string, options: SpanOptions = {}, parent: Context = contextApi.active()): Span {
    const parentSpanContext = options.root ? undefined : trace.getSpanContext(parent);
    const validParent = parentSpanContext && trace.isSpanContextValid(parentSpanContext) ? parentSpanContext : undefined;
    return new TrailOnlySpan(name, options.kind ?? SpanKind.INTERNAL, validParent, options.attributes, options.links, options.startTime, this.scope);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, parent: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: ActiveSpanArgs<F>): ReturnType<F> {
    return startActiveSpanWith((spanName, options, parent) => this.startSpan(spanName, options, parent), name, rest);
  }
}
