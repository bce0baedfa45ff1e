import { context, createTraceState, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RedactingSpanProcessor } from '../../../src/audit/redaction/redacted-span.js';
import { tracerWith } from '../../support/audited-spans.js';
import { SECRET_SAMPLES } from '../../support/secrets.js';

const github = SECRET_SAMPLES.find((sample) => sample.kind === 'github-token')!;
const slack = SECRET_SAMPLES.find((sample) => sample.kind === 'slack-token')!;

function setup() {
  const exporter = new InMemorySpanExporter();
  const raw = new InMemorySpanExporter();
  const tracer = tracerWith(new RedactingSpanProcessor(new SimpleSpanProcessor(exporter)), new SimpleSpanProcessor(raw));
  return { exporter, raw, tracer };
}

test('name, attributes, status, events and links reach a wrapped processor redacted; the live span is untouched', () => {
  const { exporter, raw, tracer } = setup();
  const linked = {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    traceFlags: TraceFlags.SAMPLED,
    traceState: createTraceState(`vendor=${slack.value}`),
  };
  const span = tracer.startSpan(`tools/call ${github.value}`, {
    attributes: { 'jsonrpc.request.id': github.value, 'mcp.session.id': `s ${slack.value}`, list: ['ok', github.value], count: 3 },
    links: [{ context: linked, attributes: { note: github.value } }],
  });
  span.addEvent(`event ${github.value}`, { detail: slack.value });
  span.setStatus({ code: 2, message: `failed with ${github.value}` });
  span.end();
  const [seen] = exporter.getFinishedSpans();
  assert.ok(seen);
  const text = JSON.stringify([
    seen.name,
    seen.attributes,
    seen.status,
    seen.events,
    seen.links.map((link) => [link.attributes, link.context.traceState?.serialize()]),
  ]);
  assert.ok(!text.includes(github.tell) && !text.includes(slack.tell), text);
  assert.equal(seen.attributes['jsonrpc.request.id'], '[REDACTED:github-token]');
  assert.deepEqual(seen.attributes['list'], ['ok', '[REDACTED:github-token]']);
  assert.equal(seen.attributes['count'], 3);
  assert.equal(seen.status.message, 'failed with [REDACTED:github-token]');
  assert.equal(seen.links[0]!.context.traceState, undefined, 'a tracestate holding a secret is dropped, not marked');
  assert.equal(seen.spanContext().spanId, span.spanContext().spanId);
  // Processors not wrapped (the audit path) see the span itself.
  assert.equal(raw.getFinishedSpans()[0]!.attributes['jsonrpc.request.id'], github.value);
});

test('a tracestate from the caller that holds a secret is dropped from the span context; a clean one is kept', () => {
  const { exporter, tracer } = setup();
  for (const state of [`vendor=${slack.value}`, 'vendor=clean-value']) {
    const parent = trace.setSpanContext(context.active(), {
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState(state),
    });
    tracer.startSpan('child', {}, parent).end();
  }
  const [secret, clean] = exporter.getFinishedSpans();
  assert.equal(secret!.spanContext().traceState, undefined);
  assert.equal(secret!.spanContext().traceId, 'c'.repeat(32));
  assert.equal(clean!.spanContext().traceState?.serialize(), 'vendor=clean-value');
});

test('a span with nothing to redact is handed on as the same object', () => {
  const { exporter, raw, tracer } = setup();
  tracer.startSpan('tools/call lookup_inventory', { attributes: { 'jsonrpc.request.id': '9fceb02d0ae598e95dc970b74767f19372d61af8' } }).end();
  assert.equal(exporter.getFinishedSpans()[0], raw.getFinishedSpans()[0]);
});
