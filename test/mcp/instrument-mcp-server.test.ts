import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { z } from 'zod';
import { auditFileNameFor, instrumentMcpServer, startAuditTrail, type AuditRecorder, type McpAuditOptions } from '../../src/index.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { fillDisk } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const spans = new InMemorySpanExporter();
const logDir = makeTempDir('instrument');
// Registered once: the global context manager and W3C propagator serve every trail in this file.
const trail = startAuditTrail({ logDir, serviceName: 'instrument-test', spanProcessors: [new SimpleSpanProcessor(spans)] });
after(() => trail.shutdown());

function auditedServer(auditTrail: AuditRecorder = trail, options: McpAuditOptions = {}): McpServer {
  const server = new McpServer({ name: 'test-server', version: '0.0.1' });
  instrumentMcpServer(server, auditTrail, options);
  server.registerTool('echo', { inputSchema: { text: z.string(), password: z.string().optional() } }, ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('explode', { inputSchema: {} }, () => {
    throw new Error('boom');
  });
  server.registerTool('refuse', { inputSchema: {} }, () => ({ content: [{ type: 'text', text: 'not allowed' }], isError: true }));
  server.registerTool('slow', { inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: 'done' }] };
  });
  return server;
}

function recordFor(spanId: string) {
  const record = readTrail(logDir).find((candidate) => candidate.span_id === spanId);
  assert.ok(record, `no record for span ${spanId}`);
  return record;
}

function lastSpan() {
  const finished = spans.getFinishedSpans();
  return finished[finished.length - 1]!;
}

test('a successful call gives one SERVER span with the MCP attributes and one record', async () => {
  const client = await connectInMemory(auditedServer());
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'hello', password: 'hunter2' } });
  assert.equal(spans.getFinishedSpans().length, 1);
  const span = lastSpan();
  assert.equal(span.name, 'tools/call echo');
  assert.equal(span.kind, SpanKind.SERVER);
  assert.equal(span.attributes['mcp.method.name'], 'tools/call');
  assert.equal(span.attributes['gen_ai.tool.name'], 'echo');
  assert.equal(span.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(typeof span.attributes['jsonrpc.request.id'], 'string');
  assert.equal(typeof span.attributes['mcp.protocol.version'], 'string');
  assert.equal(span.attributes['gen_ai.tool.call.arguments'], undefined);
  assert.doesNotMatch(JSON.stringify(span.attributes), /hello|hunter2/);
  assert.notEqual(span.status.code, SpanStatusCode.ERROR);

  const record = recordFor(span.spanContext().spanId);
  assert.equal(record.tool_name, 'echo');
  assert.equal(record.success, true);
  assert.deepEqual(record.input_summary, { text: 'hello', password: '[REDACTED]' });
  assert.equal(record.result_summary, 'text (5 chars)');
  assert.equal(record.request_id, span.attributes['jsonrpc.request.id']);
  assert.deepEqual(record.client, { name: 'test-client', version: '1.2.3' });
  assert.equal(record.transport, 'in-memory');
  assert.equal(record.service, 'instrument-test');
  assert.equal(record.session_id, null);
});

const failures: Array<{ name: string; call: { name: string; arguments: Record<string, unknown> }; error: RegExp; errorType: string }> = [
  { name: 'an unknown tool', call: { name: 'nope', arguments: {} }, error: /Tool nope not found$/, errorType: 'tool_error' },
  {
    name: 'invalid arguments',
    call: { name: 'echo', arguments: { text: 42 } },
    error: /Input validation error: Invalid arguments for tool echo/,
    errorType: 'tool_error',
  },
  { name: 'a handler that throws', call: { name: 'explode', arguments: {} }, error: /^boom$/, errorType: 'tool_error' },
  { name: 'an isError result', call: { name: 'refuse', arguments: {} }, error: /^not allowed$/, errorType: 'tool_error' },
];
for (const failure of failures) {
  test(`${failure.name} gives one failed span and one failed record`, async () => {
    const client = await connectInMemory(auditedServer());
    spans.reset();
    const result = (await client.callTool(failure.call)) as CallToolResult;
    assert.equal(result.isError, true);
    assert.equal(spans.getFinishedSpans().length, 1);
    const span = lastSpan();
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes['error.type'], failure.errorType);
    const record = recordFor(span.spanContext().spanId);
    assert.equal(record.success, false);
    assert.match(record.error ?? '', failure.error);
    assert.equal(record.tool_name, failure.call.name);
  });
}

test('invalid arguments are summarised as given, for the security record', async () => {
  const client = await connectInMemory(auditedServer());
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 42, smuggled: 'x' } });
  assert.deepEqual(recordFor(lastSpan().spanContext().spanId).input_summary, { text: 42 });
});

test('a malformed tools/call (no tool name) is answered with a JSON-RPC error and still recorded', async () => {
  const client = await connectInMemory(auditedServer());
  spans.reset();
  // The client's McpError adds "MCP error -32602: " to the message it received: once, the server's message has none.
  await assert.rejects(client.request({ method: 'tools/call', params: {} as { name: string } }, CallToolResultSchema), {
    code: -32602,
    message: /^MCP error -32602: Invalid params: (?!MCP error)/,
  });
  const span = lastSpan();
  assert.equal(span.name, 'tools/call');
  // The SDK rejects the malformed params before any tools/call logic, as an internal error: we answer invalid params.
  assert.equal(span.attributes['error.type'], '-32602');
  assert.equal(span.attributes['rpc.response.status_code'], '-32602');
  const record = recordFor(span.spanContext().spanId);
  assert.equal(record.success, false);
  assert.equal(record.tool_name, null);
});

test('a traceparent in params._meta becomes the parent, even when it says not sampled', async () => {
  const client = await connectInMemory(auditedServer());
  for (const flags of ['01', '00']) {
    spans.reset();
    const traceId = flags === '01' ? '0af7651916cd43dd8448eb211c80319c' : '4bf92f3577b34da6a3ce929d0e0e4736';
    await client.callTool({ name: 'echo', arguments: { text: 'x' }, _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-${flags}` } });
    const span = lastSpan();
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331');
    assert.equal(recordFor(span.spanContext().spanId).trace_id, traceId);
  }
});

test('the record is on disk when the client receives the response', async () => {
  const client = await connectInMemory(auditedServer());
  const file = join(logDir, auditFileNameFor(new Date().toISOString()));
  for (let i = 0; i < 20; i++) {
    await client.callTool({ name: 'echo', arguments: { text: `marker-${i}-${process.pid}` } });
    assert.match(readFileSync(file, 'utf8'), new RegExp(`marker-${i}-${process.pid}`));
  }
});

test('when the record cannot be written the client gets an error, not an unaudited result', async (t) => {
  const brokenDir = makeTempDir('instrument-full');
  t.after(fillDisk(0)); // every write fails, as on a full disk
  const brokenTrail = startAuditTrail({ logDir: brokenDir, register: false });
  // The session_start record fails first: the session is refused.
  // The client's McpError adds "MCP error -32603: " to the message it received: once, the server's message has none.
  await assert.rejects(connectInMemory(auditedServer(brokenTrail)), {
    code: -32603,
    message: /^MCP error -32603: Audit record could not be written \(EFBIG: [^)]*\); the session is refused$/,
  });
  // Waiting only for tool-call records lets the session open; the call itself is then withheld.
  const onlyToolCalls = (span: Span) =>
    (span as unknown as { name: string }).name.startsWith('tools/call') ? brokenTrail.awaitRecord(span) : Promise.resolve();
  const client = await connectInMemory(auditedServer({ tracer: brokenTrail.tracer, awaitRecord: onlyToolCalls }));
  await assert.rejects(client.callTool({ name: 'echo', arguments: { text: 'x' } }), {
    code: -32603,
    message: /^MCP error -32603: Audit record could not be written \(EFBIG: [^)]*\); the result of this call is withheld$/,
  });
  await brokenTrail.shutdown();
});

test('respondBeforeRecord is the explicit opt-out: answers go out whether or not their record is written', async (t) => {
  const brokenDir = makeTempDir('instrument-opt-out');
  t.after(fillDisk(0)); // every write fails, as on a full disk
  const brokenTrail = startAuditTrail({ logDir: brokenDir, register: false });
  const client = await connectInMemory(auditedServer(brokenTrail, { respondBeforeRecord: true }));
  assert.deepEqual((await client.callTool({ name: 'echo', arguments: { text: 'unrecorded' } })).content, [{ type: 'text', text: 'unrecorded' }]);
  await client.close();
  await brokenTrail.shutdown();
});

test('1000 concurrent calls give 1000 intact, distinct records', async () => {
  const dir = makeTempDir('instrument-load');
  const loadTrail = startAuditTrail({ logDir: dir, register: false });
  const client = await connectInMemory(auditedServer(loadTrail));
  const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.callTool({ name: 'echo', arguments: { text: `call-${i}` } })));
  assert.equal(results.length, 1000);
  await loadTrail.shutdown();
  const records = readTrail(dir).filter((record) => record.action === 'tool_call');
  assert.equal(records.length, 1000);
  assert.equal(new Set(records.map((record) => record.input_summary['text'])).size, 1000);
  assert.equal(new Set(records.map((record) => record.span_id)).size, 1000);
});

test('drain records calls still running at shutdown as failed', async () => {
  const server = new McpServer({ name: 'drain', version: '0.0.1' });
  const instrumentation = instrumentMcpServer(server, trail);
  server.registerTool('hang', { inputSchema: {} }, () => new Promise<CallToolResult>(() => {}));
  const client = await connectInMemory(server);
  spans.reset();
  void client.callTool({ name: 'hang', arguments: {} }).catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(instrumentation.inFlight, 1);
  await instrumentation.drain(50);
  await trail.forceFlush();
  const record = recordFor(lastSpan().spanContext().spanId);
  assert.equal(record.success, false);
  assert.equal(record.error, 'server shut down before the call completed');
  await client.close();
});

test('instrumenting after the tools are registered works the same', async () => {
  const server = new McpServer({ name: 'late', version: '0.0.1' });
  server.registerTool('ping', { inputSchema: {} }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
  instrumentMcpServer(server, trail);
  const client = await connectInMemory(server);
  spans.reset();
  await client.callTool({ name: 'ping', arguments: {} });
  assert.equal(recordFor(lastSpan().spanContext().spanId).tool_name, 'ping');
});

test('tool summarisers shape the record; the opt-in span attribute carries only the redacted summary', async () => {
  const client = await connectInMemory(
    auditedServer(trail, {
      captureArgumentsInSpan: true,
      tools: { echo: { summarizeResult: () => 'Echoed 1 line', summarizeInput: (args) => ({ length: String(args['text']).length, token: 't' }) } },
    }),
  );
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'abc', password: 'hunter2' } });
  const span = lastSpan();
  assert.equal(span.attributes['gen_ai.tool.call.arguments'], '{"length":3,"token":"[REDACTED]"}');
  const record = recordFor(span.spanContext().spanId);
  assert.equal(record.result_summary, 'Echoed 1 line');
  assert.deepEqual(record.input_summary, { length: 3, token: '[REDACTED]' });
});
