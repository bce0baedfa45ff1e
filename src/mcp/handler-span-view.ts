import type { AttributeValue, Attributes, Exception, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';

/**
 * The call's span as the tool's own code sees it (`trace.getActiveSpan()`
 * in a handler): every change passes through to the span, but `end()` is
 * the audit's. A tool that ended the active span would end it before the
 * call's outcome and audit details are on it, and the call would get no
 * record: its client an error, the trail nothing.
 */
export class HandlerSpanView implements Span {
  constructor(private readonly span: Span) {}

  spanContext(): SpanContext {
    return this.span.spanContext();
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.span.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    this.span.setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.span.addEvent(name, attributesOrTime, time);
    return this;
  }

  addLink(link: Link): this {
    this.span.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.span.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.span.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.span.updateName(name);
    return this;
  }

  /** Ends nothing: the audit ends the span once the call's outcome is known. */
  end(_endTime?: TimeInput): void {}

  isRecording(): boolean {
    return this.span.isRecording();
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.span.recordException(exception, time);
  }
}
