import {
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTime,
  hrTimeDuration,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  millisToHrTime,
  sanitizeAttributes,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { performance } from 'node:perf_hooks';
import { newSpanId, newTraceId } from './w3c-ids.js';

/** What every span of one tracer shares. */
export interface TrailOnlySpanScope {
  /** The audit processor: the one reader of these spans. */
  processor: Pick<SpanProcessor, 'onEnd'>;
  resource: Resource;
  instrumentationScope: InstrumentationScope;
}

/**
 * A span that is only ever read back by the audit processor (see
 * TrailOnlyTracer): the API's Span for the code that holds it, the SDK's
 * ReadableSpan for the processor it is handed to when it ends. Timed as the
 * SDK times its spans: the wall clock at the start, the monotonic clock for
 * the duration.
 */
export class TrailOnlySpan implements Span, ReadableSpan {
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [0, 0];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: TimedEvent[] = [];
  ended = false;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  private readonly context: SpanContext;
  /** performance.now() at the start, and what turns a performance.now() reading into this span's wall clock. */
  private readonly startedAt = performance.now();
  private readonly toWallClock: number;
  /** The caller gave the start time: the end is then read off the wall clock, not the monotonic one. */
  private readonly startGiven: boolean;

  constructor(
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    attributes: Attributes | undefined,
    links: Link[] | undefined,
    startTime: TimeInput | undefined,
    private readonly scope: TrailOnlySpanScope,
  ) {
    this.context = { traceId: parentSpanContext?.traceId ?? newTraceId(), spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED };
    if (parentSpanContext?.traceState) this.context.traceState = parentSpanContext.traceState;
    const now = Date.now();
    this.toWallClock = now - (this.startedAt + performance.timeOrigin);
    this.startGiven = startTime != null;
    this.startTime = this.timeOf(startTime ?? now);
    this.attributes = sanitizeAttributes(attributes);
    this.links = links ? links.map((link) => ({ ...link, attributes: sanitizeAttributes(link.attributes) })) : [];
    this.resource = scope.resource;
    this.instrumentationScope = scope.instrumentationScope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (!this.ended && key !== '' && value != null && isAttributeValue(value)) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const timeGiven = isTimeInput(attributesOrTime) && !isTimeInput(time) ? attributesOrTime : time;
    const attributes = isTimeInput(attributesOrTime) ? {} : sanitizeAttributes(attributesOrTime);
    this.events.push({ name, attributes, time: this.timeOf(timeGiven), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) this.links.push({ ...link, attributes: sanitizeAttributes(link.attributes) });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    // As the SDK: UNSET changes nothing, OK is final, and only an error keeps its (string) message.
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const message = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : undefined;
    this.status = message === undefined ? { code: status.code } : { code: status.code, message };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** As the SDK: a tool's `catch (e) { span.recordException(e) }` must not throw, whatever `e` is. */
  recordException(exception: Exception, time?: TimeInput): void {
    const error: Partial<Exclude<Exception, string>> = typeof exception === 'string' ? { message: exception } : (exception ?? {});
    const attributes: Attributes = {};
    const type = error.code ?? error.name;
    if (type) attributes['exception.type'] = String(type);
    if (error.message) attributes['exception.message'] = error.message;
    if (error.stack) attributes['exception.stacktrace'] = error.stack;
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }

  /** Hands the span to the audit processor, once. */
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.endTime = this.timeOf(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      this.endTime = this.startTime;
      this.duration = [0, 0];
    }
    this.ended = true;
    this.scope.processor.onEnd(this);
  }

  /** The SDK's reading of a time given to a span; anything that is not a time (null, a string) is now. */
  private timeOf(time: unknown): HrTime {
    if (typeof time === 'number') return time <= performance.now() ? hrTime(time + this.toWallClock) : millisToHrTime(time);
    if (time instanceof Date) return millisToHrTime(time.getTime());
    if (isTimeInputHrTime(time)) return time;
    if (this.startGiven) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.startedAt));
  }
}
