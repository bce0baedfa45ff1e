import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { context, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { z } from 'zod';
import { instrumentMcpServer, startAuditTrail, type AuditRecord, type AuditTrail } from '../../src/index.js';
import { TrailOnlySpan } from '../../src/telemetry/trail-only-span.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

// The trail-only one is registered: its context manager is the one a tool's own spans see.
const trailOnly = startAuditTrail({ logDir: makeTempDir('trail-only'), serviceName: 'same-service' });
const withSdk = startAuditTrail({
  logDir: makeTempDir('trail-sdk'),
  serviceName: 'same-service',
  register: false,
  spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
});
after(() => Promise.all([trailOnly.shutdown(), withSdk.shutdown()]));

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

function auditedServer(trail: AuditTrail): McpServer {
  const server = new McpServer({ name: 'tracer-test', version: '1.0.0' });
  instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string(), token: z.string().optional() } }, ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('explode', { inputSchema: {} }, () => {
    throw new Error('boom at password=hunter2');
  });
  server.registerTool('refuse', { inputSchema: {} }, () => ({ content: [{ type: 'text', text: 'not allowed' }], isError: true }));
  server.registerTool('slow', { inputSchema: { ms: z.number() } }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { content: [{ type: 'text', text: 'done' }] };
  });
  // A tool's own instrumentation may mark the active span OK before failing, or end it: neither may cost the call its record.
  server.registerTool('ok-then-throw', { inputSchema: {} }, () => {
    trace.getActiveSpan()!.setStatus({ code: SpanStatusCode.OK });
    throw new Error('failed after OK');
  });
  server.registerTool('ends-span', { inputSchema: {} }, () => {
    trace.getActiveSpan()!.end();
    return { content: [{ type: 'text', text: 'ended' }] };
  });
  // What a tool's own instrumentation sees: the active span, and a span of its own started under it.
  server.registerTool('spans', { inputSchema: {} }, () => {
    const active = trace.getActiveSpan()!.spanContext();
    const own = trace.getTracer('tool').startSpan('tool work') as unknown as ReadableSpan;
    return { content: [{ type: 'text', text: JSON.stringify({ active, ownParent: own.parentSpanContext, ownTrace: own.spanContext().traceId }) }] };
  });
  return server;
}

/** What no two runs share: ids, times (a session_end says how long the session lasted), the chain. */
function comparable(record: AuditRecord): Partial<AuditRecord> {
  const { trace_id, span_id, timestamp, duration_ms, seq, prev_hash, hash, ...rest } = record as AuditRecord & Record<string, unknown>;
  return { ...rest, result_summary: rest.result_summary?.replace(/after [\d.]+ s/, 'after N s') ?? null };
}

async function callEach(trail: AuditTrail): Promise<void> {
  const client = await connectInMemory(auditedServer(trail));
  await client.callTool({ name: 'echo', arguments: { text: 'hello', token: 'sekrit-value' } });
  await client.callTool({ name: 'explode', arguments: {} });
  await client.callTool({ name: 'refuse', arguments: {} });
  await client.callTool({ name: 'nope', arguments: {} });
  await client.callTool({
    name: 'echo',
    arguments: { text: 'traced' },
    _meta: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' },
  });
  await client.close();
}

test("without another processor the trail's spans are its own, and every record is the one the SDK's span gives", async () => {
  assert.ok(trailOnly.tracer.startSpan('probe') instanceof TrailOnlySpan);
  assert.ok(!(withSdk.tracer.startSpan('probe') instanceof TrailOnlySpan));
  await callEach(trailOnly);
  await callEach(withSdk);
  const [own, sdk] = [readTrail(trailOnly.logDir), readTrail(withSdk.logDir)];
  assert.deepEqual(own.map(comparable), sdk.map(comparable));
  assert.deepEqual(
    own.map((record) => [record.tool_name, record.success]),
    [
      [null, true], // session_start
      ['echo', true],
      ['explode', false],
      ['refuse', false],
      ['nope', false],
      ['echo', true],
      [null, true], // session_end
    ],
  );
  // The caller's traceparent is the parent, its sampled=0 notwithstanding: the call is recorded in the caller's trace.
  assert.equal(own[5]!.trace_id, '0af7651916cd43dd8448eb211c80319c');
  for (const record of own) {
    assert.match(record.trace_id, /^(?!0{32})[0-9a-f]{32}$/);
    assert.match(record.span_id, /^(?!0{16})[0-9a-f]{16}$/);
  }
  assert.equal(new Set(own.map((record) => record.span_id)).size, own.length);
  // Durations come from the monotonic clock, to the microsecond, not from two wall-clock milliseconds.
  assert.ok(
    own.some((record) => !Number.isInteger(record.duration_ms)),
    `durations: ${own.map((record) => record.duration_ms)}`,
  );
  assert.equal(new Set(own.slice(0, 5).map((record) => record.trace_id)).size, 5, 'a call without a traceparent starts a trace of its own');
});

test("a tool's own spans are children of the call's span, and the record is timed by the wall clock and the monotonic one", async () => {
  const client = await connectInMemory(auditedServer(trailOnly));
  const seen = JSON.parse(text(await client.callTool({ name: 'spans', arguments: {} }))) as {
    active: { traceId: string; spanId: string };
    ownParent: { spanId: string };
    ownTrace: string;
  };
  const before = Date.now();
  await client.callTool({ name: 'slow', arguments: { ms: 30 } });
  const after = Date.now();
  await client.close();
  const records = readTrail(trailOnly.logDir);
  const spans = records.find((record) => record.tool_name === 'spans')!;
  assert.deepEqual([seen.active.traceId, seen.active.spanId], [spans.trace_id, spans.span_id]);
  assert.deepEqual([seen.ownTrace, seen.ownParent.spanId], [spans.trace_id, spans.span_id]);
  const slow = records.find((record) => record.tool_name === 'slow')!;
  const started = Date.parse(slow.timestamp);
  assert.ok(started >= before - 1 && started <= after, `${slow.timestamp} between ${before} and ${after}`);
  assert.ok(slow.duration_ms >= 29 && slow.duration_ms <= after - before + 1, `duration ${slow.duration_ms} ms`);
});

test('startActiveSpan runs its function with the span active, under the parent it is given, and returns what it returns', () => {
  const parent = trace.setSpanContext(context.active(), { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  const seen: Array<[Span | undefined, Span]> = [];
  const result = trailOnly.tracer.startActiveSpan('outer', {}, parent, (span) => {
    seen.push([trace.getActiveSpan(), span]);
    span.end();
    return 42;
  });
  assert.equal(result, 42);
  assert.equal(seen[0]![0], seen[0]![1]);
  assert.equal(seen[0]![1].spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  trailOnly.tracer.startActiveSpan('bare', (span) => {
    assert.equal(trace.getActiveSpan(), span);
    span.end();
  });
});

test("a tool that marks the call's span OK and then fails, or ends it, leaves its call's record as it happened, on either tracer", async () => {
  for (const trail of [trailOnly, withSdk]) {
    const client = await connectInMemory(auditedServer(trail));
    const failed = (await client.callTool({ name: 'ok-then-throw', arguments: {} })) as CallToolResult;
    const ended = await client.callTool({ name: 'ends-span', arguments: {} });
    await client.close();
    assert.equal(failed.isError, true);
    assert.equal(text(ended), 'ended', 'answered, since its record is written');
    const records = readTrail(trail.logDir);
    const okThenThrow = records.filter((record) => record.tool_name === 'ok-then-throw');
    assert.deepEqual(
      okThenThrow.map((record) => [record.success, record.error]),
      [[false, 'failed after OK']],
    );
    assert.deepEqual(
      records.filter((record) => record.tool_name === 'ends-span').map((record) => record.success),
      [true],
    );
  }
});
