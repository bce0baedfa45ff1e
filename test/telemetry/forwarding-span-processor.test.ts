import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ForwardingSpanProcessor } from '../../src/index.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';

test('spans dropped on a full queue and spans whose export failed are all counted and reported once', async () => {
  const collector = await OtlpReceiver.start('hang');
  const reports: string[] = [];
  const processor = new ForwardingSpanProcessor({
    exporter: new OTLPTraceExporter({ url: `${collector.baseUrl}/v1/traces`, timeoutMillis: 200 }),
    maxQueueSize: 5,
    maxExportBatchSize: 5,
    scheduledDelayMillis: 60_000,
    reportIntervalMillis: 60_000,
    report: (line) => reports.push(line),
  });
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('test');
  // The 5th span starts an export that hangs; spans 6-10 fill the queue again; 11 and 12 find it full.
  for (let i = 0; i < 12; i++) tracer.startSpan(`span ${i}`).end();
  await processor.shutdown();
  await collector.close();

  assert.equal(reports.length, 1);
  assert.match(reports[0]!, /^mcp-audit: 12 spans not forwarded since the last report \(12 in total; /);
  assert.match(reports[0]!, /queue_full: 2/);
});

test('a failed export does not make forceFlush or shutdown reject', async () => {
  const collector = await OtlpReceiver.start('fail-500');
  const reports: string[] = [];
  const processor = new ForwardingSpanProcessor({
    exporter: new OTLPTraceExporter({ url: `${collector.baseUrl}/v1/traces` }),
    report: (line) => reports.push(line),
  });
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('test');
  tracer.startSpan('one').end();
  await processor.forceFlush();
  assert.equal(await processor.droppedSpans(), 1);
  tracer.startSpan('two').end();
  await processor.shutdown();
  await collector.close();
  assert.deepEqual(
    reports.map((line) => /^mcp-audit: (\d+) spans not forwarded since the last report \((\d+) in total/.exec(line)?.slice(1)),
    [
      ['1', '1'],
      ['1', '2'],
    ],
  );
});

test('shutdown does not wait out a hanging collector: what is still queued or in flight is reported as abandoned', async () => {
  const collector = await OtlpReceiver.start('hang');
  const reports: string[] = [];
  const processor = new ForwardingSpanProcessor({
    // The exporter's own timeout (and its retries within it) would keep a plain BatchSpanProcessor's shutdown waiting.
    exporter: new OTLPTraceExporter({ url: `${collector.baseUrl}/v1/traces`, timeoutMillis: 2000 }),
    maxExportBatchSize: 2,
    flushTimeoutMillis: 100,
    report: (line) => reports.push(line),
  });
  const tracer = new BasicTracerProvider({ spanProcessors: [processor] }).getTracer('test');
  for (let i = 0; i < 5; i++) tracer.startSpan(`span ${i}`).end();
  await processor.forceFlush();
  await processor.shutdown();
  assert.deepEqual(reports, [
    'mcp-audit: 5 spans not forwarded since the last report (5 in total; abandoned at shutdown: 5); the audit trail is unaffected',
  ]);
  await collector.close();
});
