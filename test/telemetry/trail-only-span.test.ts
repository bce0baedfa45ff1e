import { context, createTraceState, SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { TrailOnlyTracer } from '../../src/telemetry/trail-only-tracer.js';

// A real SDK exporter behind a real SDK processor reads these spans, as any ReadableSpan.
const exported = new InMemorySpanExporter();
const tracer = new TrailOnlyTracer(new SimpleSpanProcessor(exported), resourceFromAttributes({ 'service.name': 'span-test' }), 'span-test');

function ended(): ReadableSpan[] {
  const spans = exported.getFinishedSpans();
  exported.reset();
  return spans;
}

const PARENT: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0, traceState: undefined };

test('ids are W3C ids, distinct, the trace id taken from a valid parent only, and a root ignores its parent', () => {
  const spans = Array.from({ length: 2000 }, () => tracer.startSpan('id'));
  const spanIds = new Set(spans.map((span) => span.spanContext().spanId));
  const traceIds = new Set(spans.map((span) => span.spanContext().traceId));
  assert.equal(spanIds.size, 2000);
  assert.equal(traceIds.size, 2000);
  for (const span of spans) {
    assert.ok(trace.isSpanContextValid(span.spanContext()));
    assert.equal(span.spanContext().traceFlags, 1, 'recorded and sampled: every span is the audit');
  }

  const parentContext = trace.setSpanContext(context.active(), PARENT);
  const child = tracer.startSpan('child', {}, parentContext) as unknown as ReadableSpan;
  assert.equal(child.spanContext().traceId, PARENT.traceId);
  assert.notEqual(child.spanContext().spanId, PARENT.spanId);
  assert.equal(child.parentSpanContext?.spanId, PARENT.spanId);

  const root = tracer.startSpan('root', { root: true }, parentContext) as unknown as ReadableSpan;
  assert.notEqual(root.spanContext().traceId, PARENT.traceId);
  assert.equal(root.parentSpanContext, undefined);

  const invalid = trace.setSpanContext(context.active(), { ...PARENT, traceId: '0'.repeat(32) });
  assert.notEqual(tracer.startSpan('orphan', {}, invalid).spanContext().traceId, '0'.repeat(32));
});

test('a span keeps what the SDK keeps: valid attributes, kind, links, events, an exception, its status as the SDK rules it', () => {
  const span = tracer.startSpan('work', {
    kind: SpanKind.SERVER,
    attributes: { 'a.string': 'x', 'a.number': 1, 'an.object': { nested: true } as never },
    links: [{ context: PARENT }],
  });
  span.setAttribute('b', true).setAttributes({ c: [1, 2], d: undefined as never, '': 'no key' });
  span.addEvent('checkpoint', { step: 1 });
  span.recordException(new TypeError('bad input'));
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.updateName('work renamed');
  span.end();
  span.end();
  span.setAttribute('late', 'ignored');

  const spans = ended();
  assert.equal(spans.length, 1, 'a second end hands nothing over again');
  const [read] = spans;
  assert.equal(read!.name, 'work renamed');
  assert.equal(read!.kind, SpanKind.SERVER);
  assert.deepEqual(read!.attributes, { 'a.string': 'x', 'a.number': 1, b: true, c: [1, 2] });
  assert.deepEqual(read!.status, { code: SpanStatusCode.ERROR, message: 'failed' });
  assert.deepEqual(
    read!.links.map((link) => link.context.spanId),
    [PARENT.spanId],
  );
  assert.deepEqual(
    read!.events.map((event) => [event.name, event.attributes]),
    [
      ['checkpoint', { step: 1 }],
      [
        'exception',
        {
          'exception.type': 'TypeError',
          'exception.message': 'bad input',
          'exception.stacktrace': read!.events[1]!.attributes!['exception.stacktrace'],
        },
      ],
    ],
  );
  assert.equal(read!.resource.attributes['service.name'], 'span-test');
  assert.equal(read!.instrumentationScope.name, 'span-test');
  assert.equal(read!.ended, true);
  assert.equal(span.isRecording(), false);

  const ok = tracer.startSpan('ok');
  ok.setStatus({ code: SpanStatusCode.OK, message: 'an OK has no message' });
  ok.setStatus({ code: SpanStatusCode.ERROR, message: 'too late: OK is final' });
  ok.end();
  assert.deepEqual(ended()[0]!.status, { code: SpanStatusCode.OK });
});

test('times: the wall clock at the start and the monotonic clock after it; given times are taken as given', async () => {
  const before = Date.now();
  const span = tracer.startSpan('timed');
  await new Promise((resolve) => setTimeout(resolve, 20));
  span.end();
  const after = Date.now();
  const [read] = ended();
  const startMs = read!.startTime[0] * 1e3 + read!.startTime[1] / 1e6;
  const durationMs = read!.duration[0] * 1e3 + read!.duration[1] / 1e6;
  assert.ok(startMs >= before && startMs <= after, `start ${startMs} in [${before}, ${after}]`);
  assert.ok(durationMs >= 19 && durationMs <= after - before + 1, `duration ${durationMs}`);

  const given = tracer.startSpan('given', { startTime: new Date(1_700_000_000_000) });
  given.end(new Date(1_700_000_000_250));
  const backwards = tracer.startSpan('backwards', { startTime: new Date(1_700_000_000_000) });
  backwards.end([1_699_999_999, 0]); // an HrTime, as the SDK takes it
  const [forward, reversed] = ended();
  assert.deepEqual(
    [forward!.startTime, forward!.duration],
    [
      [1_700_000_000, 0],
      [0, 250_000_000],
    ],
  );
  assert.deepEqual(reversed!.duration, [0, 0], 'an end before the start is a zero duration, as in the SDK');
});

test('what the SDK takes without throwing, this span takes too: no time, null times, performance.now() times, odd exceptions and statuses', () => {
  const loose = tracer.startSpan('loose', { startTime: null as never });
  loose.recordException(null as never);
  loose.recordException({ code: 'ECONNRESET' });
  loose.recordException('plain text');
  loose.setAttributes(null as never);
  loose.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
  loose.addEvent('at a performance time', performance.now());
  loose.end(null as never);
  const [read] = ended();
  assert.deepEqual(
    read!.events.map((event) => [event.name, event.attributes]),
    [
      ['exception', { 'exception.type': 'ECONNRESET' }],
      ['exception', { 'exception.message': 'plain text' }],
      ['at a performance time', {}],
    ],
  );
  assert.deepEqual(read!.status, { code: SpanStatusCode.ERROR });
  // A performance.now() reading is placed on the span's wall clock, as the SDK places it.
  const eventMs = read!.events[2]!.time[0] * 1e3 + read!.events[2]!.time[1] / 1e6;
  const startMs = read!.startTime[0] * 1e3 + read!.startTime[1] / 1e6;
  assert.ok(Math.abs(eventMs - startMs) < 50, `event at ${eventMs}, span started at ${startMs}`);
  assert.ok(read!.duration[0] >= 0 && read!.duration[0] < 1);
});

test('the rest of the API as the SDK has it: trace state, links and events added later, event times, nothing changed after the end, a given start', () => {
  const traceState = createTraceState('vendor=value');
  const parentContext = trace.setSpanContext(context.active(), { ...PARENT, traceState });
  const span = tracer.startSpan('later', {}, parentContext);
  assert.equal(span.spanContext().traceState, traceState, "the parent's trace state goes on to the children");
  const inherited = Object.create({ inherited: 'no' }) as Record<string, string>;
  inherited['own'] = 'yes';
  span.setAttributes(inherited);
  span.addLink({ context: PARENT, attributes: { why: 'first' } });
  span.addLinks([{ context: { ...PARENT, spanId: '1111111111111111' } }]);
  span.addEvent('at a date', new Date(1_700_000_000_000));
  span.addEvent('with attributes at a date', { n: 1 }, new Date(1_700_000_001_000));
  span.end();
  span.addEvent('too late');
  span.addLink({ context: PARENT });
  span.updateName('too late');
  const [read] = ended();
  assert.equal(read!.name, 'later');
  assert.deepEqual(read!.attributes, { own: 'yes' });
  assert.deepEqual(
    read!.links.map((link) => [link.context.spanId, link.attributes]),
    [
      [PARENT.spanId, { why: 'first' }],
      ['1111111111111111', {}],
    ],
  );
  assert.deepEqual(
    read!.events.map((event) => [event.name, event.attributes, event.time]),
    [
      ['at a date', {}, [1_700_000_000, 0]],
      ['with attributes at a date', { n: 1 }, [1_700_000_001, 0]],
    ],
  );

  assert.deepEqual((tracer.startSpan('no links') as unknown as ReadableSpan).links, []);
  // A start given by the caller: the end is read off the wall clock, as the SDK does, not added to it by the monotonic clock.
  const given = tracer.startSpan('given start', { startTime: Date.now() - 1000 });
  given.end();
  const [givenRead] = ended();
  const durationMs = givenRead!.duration[0] * 1e3 + givenRead!.duration[1] / 1e6;
  assert.ok(durationMs >= 990, `duration ${durationMs} ms`);
});
