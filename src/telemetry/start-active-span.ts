import { context as contextApi, trace, type Context, type Span, type SpanOptions } from '@opentelemetry/api';

/** The arguments of Tracer.startActiveSpan after the name: the function last, options and parent context optional. */
export type ActiveSpanArgs<F> = [F] | [SpanOptions, F] | [SpanOptions, Context, F];

/** Tracer.startActiveSpan for a tracer's `startSpan`: `fn` runs with the new span active in its context. */
export function startActiveSpanWith<F extends (span: Span) => unknown>(
  startSpan: (name: string, options: SpanOptions | undefined, parent: Context) => Span,
  name: string,
  rest: ActiveSpanArgs<F>,
): ReturnType<F> {
  const fn = rest[rest.length - 1] as F;
  const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
  const parent = rest.length > 2 ? (rest[1] as Context) : contextApi.active();
  const span = startSpan(name, options, parent);
  return contextApi.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
}
