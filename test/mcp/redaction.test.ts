import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { z } from 'zod';
import { instrumentMcpServer, startAuditTrail, type McpAuditOptions } from '../../src/index.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { SECRET_SAMPLES } from '../support/secrets.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

// The span side is checked through a real SDK processor and exporter: what
// they see is what a forwarding (OTLP) exporter would be handed.
const spans = new InMemorySpanExporter();
const logDir = makeTempDir('redaction');
const trail = startAuditTrail({ logDir, serviceName: 'redaction-test', register: false, spanProcessors: [new SimpleSpanProcessor(spans)] });
after(() => trail.shutdown());

function rawTrail(): string {
  // Every file: the trail and its head (the lock directory may be there while a writer holds it).
  return readdirSync(logDir, { withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(logDir, entry.name), 'utf8'))
    .join('');
}

function serverWith(options: McpAuditOptions = {}): McpServer {
  const server = new McpServer({ name: 'redaction', version: '0.0.1' });
  instrumentMcpServer(server, trail, { captureArgumentsInSpan: true, ...options });
  server.registerTool('file_report', { inputSchema: { report: z.any(), note: z.string().optional() } }, ({ report }) => {
    throw new Error(`could not file report: ${JSON.stringify(report)}`);
  });
  server.registerTool('echo', { inputSchema: { text: z.string(), password: z.string().optional() } }, ({ text }) => ({
    content: [{ type: 'text', text: `you said: ${text}` }],
  }));
  return server;
}

for (const sample of SECRET_SAMPLES) {
  test(`a ${sample.kind} nested in the input and in the thrown error reaches neither the file nor the span`, async () => {
    const client = await connectInMemory(serverWith());
    spans.reset();
    const report = { level1: { level2: [{ level3: { note: `see ${sample.value} here` } }] } };
    const result = await client.callTool({ name: 'file_report', arguments: { report } });
    assert.equal(result.isError, true);
    const [span] = spans.getFinishedSpans();
    assert.ok(span);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    for (const [where, text] of [
      ['span attributes', JSON.stringify(span.attributes)],
      ['span status', span.status.message ?? ''],
      ['span name', span.name],
      ['trail file', rawTrail()],
    ] as const) {
      assert.ok(!text.includes(sample.tell), `${sample.kind} leaked into the ${where}: ${text}`);
    }
    const record = readTrail(logDir).find((candidate) => candidate.span_id === span.spanContext().spanId)!;
    assert.match(record.error ?? '', new RegExp(`\\[REDACTED:${sample.kind}\\]`));
    assert.match(JSON.stringify(record.input_summary), new RegExp(`see .*\\[REDACTED:${sample.kind}\\][^ ]* here`));
    assert.equal(record.redacted, true);
    assert.match(String(span.attributes['gen_ai.tool.call.arguments']), /REDACTED/);
    await client.close();
  });
}

test('a secret typed as the tool name is redacted in the record, the span name and the error', async () => {
  const client = await connectInMemory(serverWith());
  spans.reset();
  const token = SECRET_SAMPLES.find((sample) => sample.kind === 'github-token')!;
  await client.callTool({ name: token.value, arguments: {} });
  const [span] = spans.getFinishedSpans();
  assert.ok(span, 'no span for the call');
  assert.ok(!JSON.stringify([span.name, span.attributes, span.status]).includes(token.tell));
  assert.ok(!rawTrail().includes(token.tell));
  // Absent because redacted, not because nothing was written.
  const record = readTrail(logDir).find((candidate) => candidate.span_id === span.spanContext().spanId);
  assert.ok(record, 'no record for the call');
  assert.equal(record.tool_name, '[REDACTED:github-token]');
  assert.match(record.error ?? '', /\[REDACTED:github-token\]/);
  assert.equal(record.redacted, true);
  await client.close();
});

test('a clean call is marked neither redacted nor truncated', async () => {
  const client = await connectInMemory(serverWith());
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  const record = readTrail(logDir).find((candidate) => candidate.span_id === spans.getFinishedSpans()[0]!.spanContext().spanId)!;
  assert.equal(record.redacted, false);
  assert.equal(record.truncated, false);
  assert.deepEqual(record.capture, { input: 'summary', result: 'summary' });
  await client.close();
});

test('an auth-failure event quoting the token is redacted in the file and on the span status', async () => {
  spans.reset();
  const bearer = SECRET_SAMPLES.find((sample) => sample.kind === 'bearer-token')!;
  await trail.recordEvent({ action: 'auth_failure', error: `rejected Authorization: ${bearer.value}` });
  const [span] = spans.getFinishedSpans();
  assert.ok(span, 'no span for the event');
  assert.match(span.status.message ?? '', /\[REDACTED:bearer-token\]/);
  assert.ok(!(span.status.message ?? '').includes(bearer.tell));
  assert.ok(!rawTrail().includes(bearer.tell));
  const record = readTrail(logDir).find((candidate) => candidate.span_id === span.spanContext().spanId);
  assert.ok(record, 'no record for the event');
  assert.equal(record.action, 'auth_failure');
  assert.match(record.error ?? '', /^rejected Authorization: \[REDACTED:bearer-token\]/);
});

test('capture levels apply globally and per tool, for input and for result', async () => {
  const client = await connectInMemory(
    serverWith({
      capture: { input: 'metadata', result: 'none' },
      tools: { echo: { capture: { input: 'full', result: 'full' } } },
    }),
  );
  spans.reset();
  const aws = SECRET_SAMPLES.find((sample) => sample.kind === 'aws-access-key')!;
  await client.callTool({ name: 'echo', arguments: { text: `${'z'.repeat(400)} ${aws.value}`, password: 'pw', smuggled: 'kept at full' } });
  await client.callTool({ name: 'file_report', arguments: { report: { a: 1 }, note: 'secret plans' } });
  const [echoSpan, reportSpan] = spans.getFinishedSpans();
  const records = readTrail(logDir);
  const echo = records.find((record) => record.span_id === echoSpan!.spanContext().spanId)!;
  assert.deepEqual(echo.capture, { input: 'full', result: 'full' });
  assert.equal(echo.input_summary['text'], `${'z'.repeat(400)} [REDACTED:aws-access-key]`);
  assert.equal(echo.input_summary['password'], '[REDACTED]');
  assert.equal(echo.input_summary['smuggled'], 'kept at full');
  assert.equal(echo.result_summary, `you said: ${'z'.repeat(400)} [REDACTED:aws-access-key]`);
  assert.equal(echo.truncated, false);

  const report = records.find((record) => record.span_id === reportSpan!.spanContext().spanId);
  assert.ok(report, 'no record for file_report');
  assert.deepEqual(report.capture, { input: 'metadata', result: 'none' });
  assert.deepEqual(report.input_summary, { report: { type: 'object', size: 1 }, note: { type: 'string', size: 12 } });
  assert.ok(!rawTrail().includes('secret plans'));
  await client.close();
});

test('capture level none keeps no input and no result; the env sets the global default', async () => {
  process.env['AUDIT_CAPTURE_INPUT'] = 'none';
  process.env['AUDIT_CAPTURE_RESULT'] = 'none';
  let server: McpServer;
  try {
    server = serverWith();
  } finally {
    delete process.env['AUDIT_CAPTURE_INPUT'];
    delete process.env['AUDIT_CAPTURE_RESULT'];
  }
  const client = await connectInMemory(server);
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'nothing to see' } });
  const record = readTrail(logDir).find((candidate) => candidate.span_id === spans.getFinishedSpans()[0]!.spanContext().spanId)!;
  assert.deepEqual(record.input_summary, {});
  assert.equal(record.result_summary, null);
  assert.deepEqual(record.capture, { input: 'none', result: 'none' });
  assert.throws(() => serverWith({ capture: { input: 'everything' as never } }), /unknown capture level/);
  await client.close();
});

test('a tool summariser output is redacted and truncated at the summary level', async () => {
  const stripe = SECRET_SAMPLES.find((sample) => sample.kind === 'stripe-key')!;
  const client = await connectInMemory(serverWith({ tools: { echo: { summarizeResult: () => `charged with ${stripe.value} ${'y'.repeat(300)}` } } }));
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'x' } });
  const record = readTrail(logDir).find((candidate) => candidate.span_id === spans.getFinishedSpans()[0]!.spanContext().spanId)!;
  assert.match(record.result_summary ?? '', /^charged with \[REDACTED:stripe-key\] y+\.\.\.\[truncated \d+ chars\]$/);
  assert.equal(record.redacted, true);
  assert.equal(record.truncated, true);
  await client.close();
});
