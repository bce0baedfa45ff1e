import type { Attributes, AttributeValue, Context, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { getDefaultRedactor, type Redactor } from './redactor.js';

/**
 * What a span processor other than the audit path (a forwarder to a
 * collector, a metrics processor, one of the user's) is handed: the span with
 * every client-typed string it carries redacted by value — name, attribute
 * values (`jsonrpc.request.id`, `mcp.session.id`, …), status message, event
 * names and attributes, links. A client-sent `tracestate` that holds a secret
 * is dropped from the context (a marker would make it invalid). A span with
 * nothing to redact is passed on as it is, without a copy.
 */
const views = new WeakSet<object>();
const viewsByRedactor = new WeakMap<Redactor, WeakMap<object, ReadableSpan>>();

function cleanValue(value: AttributeValue | undefined, redactor: Redactor): AttributeValue | undefined {
  if (typeof value === 'string') return redactor.redactText(value);
  if (!Array.isArray(value) || !value.some((item) => typeof item === 'string')) return value;
  const items = (value as unknown[]).map((item) => (typeof item === 'string' ? redactor.redactText(item) : item));
  return items.every((item, index) => item === value[index]) ? value : (items as AttributeValue);
}

function cleanAttributes<T extends Attributes | undefined>(attributes: T, redactor: Redactor): T {
  if (!attributes) return attributes;
  let copy: Attributes | undefined;
  for (const [key, value] of Object.entries(attributes)) {
    const cleaned = cleanValue(value, redactor);
    if (cleaned !== value) (copy ??= { ...attributes })[key] = cleaned;
  }
  return (copy ?? attributes) as T;
}

function cleanContext<T extends SpanContext | undefined>(context: T, redactor: Redactor): T {
  const state = context?.traceState?.serialize();
  if (!context || state === undefined || redactor.redactText(state) === state) return context;
  const { traceState: _dropped, ...rest } = context;
  return rest as T;
}

function cleanEvent(event: TimedEvent, redactor: Redactor): TimedEvent {
  const name = redactor.redactText(event.name);
  const attributes = cleanAttributes(event.attributes, redactor);
  return name === event.name && attributes === event.attributes ? event : { ...event, name, attributes };
}

function cleanLink(link: Link, redactor: Redactor): Link {
  const context = cleanContext(link.context, redactor);
  const attributes = cleanAttributes(link.attributes, redactor);
  return context === link.context && attributes === link.attributes ? link : { ...link, context, attributes };
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.every((item, index) => item === b[index]);
}

function buildView(span: ReadableSpan, redactor: Redactor): ReadableSpan {
  const name = redactor.redactText(span.name);
  const attributes = cleanAttributes(span.attributes, redactor);
  const message = span.status.message === undefined ? undefined : redactor.redactText(span.status.message);
  const events = span.events.map((event) => cleanEvent(event, redactor));
  const links = span.links.map((link) => cleanLink(link, redactor));
  const context = span.spanContext();
  const spanContext = cleanContext(context, redactor);
  const parentSpanContext = cleanContext(span.parentSpanContext, redactor);
  const unchanged =
    name === span.name &&
    attributes === span.attributes &&
    message === span.status.message &&
    sameItems(events, span.events) &&
    sameItems(links, span.links) &&
    spanContext === context &&
    parentSpanContext === span.parentSpanContext;
  if (unchanged) return span;
  const view: ReadableSpan = {
    name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { ...span.status, message },
    attributes,
    links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
  views.add(view);
  return view;
}

/** The span as processors outside the audit path may see it; made once per span and redactor. */
export function redactedSpan(span: ReadableSpan, redactor: Redactor = getDefaultRedactor()): ReadableSpan {
  if (views.has(span)) return span;
  let cache = viewsByRedactor.get(redactor);
  if (!cache) viewsByRedactor.set(redactor, (cache = new WeakMap()));
  let view = cache.get(span);
  if (!view) cache.set(span, (view = buildView(span, redactor)));
  return view;
}

/**
 * Hands `inner` the redacted span at its end. `onStart` can only pass the
 * live span: a processor that reads attributes there sees them unredacted
 * (the SDK's batch and simple processors read a span only at its end).
 */
export class RedactingSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly redactor: Redactor = getDefaultRedactor(),
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    this.inner.onEnd(redactedSpan(span, this.redactor));
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
