// The request auditor's own guarantees that instrument-mcp-server.test.ts does not reach: the JSON-RPC code rule
// for thrown errors, a result whose summary cannot be read, and the drain waiting for calls that do finish.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpError, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { instrumentMcpServer, startAuditTrail, type McpAuditOptions } from '../../src/index.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const spans = new InMemorySpanExporter();
const logDir = makeTempDir('handler-auditor');
const trail = startAuditTrail({ logDir, serviceName: 'handler-auditor-test', register: false, spanProcessors: [new SimpleSpanProcessor(spans)] });
after(() => trail.shutdown());

function recordFor(span: ReadableSpan) {
  const record = readTrail(logDir).find((candidate) => candidate.span_id === span.spanContext().spanId);
  assert.ok(record, `no record for span ${span.name}`);
  return record;
}

function spanNamed(name: string): ReadableSpan | undefined {
  return spans.getFinishedSpans().find((span) => span.name === name);
}

/** Waits (up to 10 s, not a timing assert) for the span of a request whose answer never comes. */
async function finishedSpan(name: string): Promise<ReadableSpan> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const span = spanNamed(name);
    if (span) return span;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`no span ${name}`);
}

// A resource per kind of thrown `code`: what the SDK answers with is what the record must say.
const thrownCodes: Array<{ kind: string; code: unknown; expected: number }> = [
  { kind: 'integer', code: 4242, expected: 4242 },
  { kind: 'string', code: 'ENOENT', expected: -32603 },
  { kind: 'fraction', code: 1.5, expected: -32603 },
  { kind: 'unsafe-integer', code: 2 ** 53, expected: -32603 },
];

function serverWith(options: McpAuditOptions = {}): { server: McpServer; instrumentation: ReturnType<typeof instrumentMcpServer> } {
  const server = new McpServer({ name: 'handler-auditor', version: '0.0.1' });
  const instrumentation = instrumentMcpServer(server, trail, options);
  for (const { kind, code } of thrownCodes) {
    server.registerResource(kind, `test://code/${kind}`, {}, () => {
      throw Object.assign(new Error(`thrown with a ${kind} code`), { code });
    });
  }
  server.registerResource('null', 'test://throws-null', {}, () => Promise.reject(null)); // eslint-disable-line prefer-promise-reject-errors
  server.registerTool('echo', { inputSchema: {} }, () => ({ content: [{ type: 'text', text: 'echoed' }] }));
  return { server, instrumentation };
}

test("a thrown error's code becomes the recorded JSON-RPC code only where the SDK answers with it: a safe integer", async () => {
  const client = await connectInMemory(serverWith().server);
  spans.reset();
  for (const { kind, expected } of thrownCodes) {
    const answered = await client.readResource({ uri: `test://code/${kind}` }).then(
      () => assert.fail('answered'),
      (error: McpError) => error,
    );
    assert.equal(answered.code, expected, kind);
    const span = spanNamed(`resources/read test://code/${kind}`);
    assert.ok(span, kind);
    assert.equal(span.attributes['error.type'], String(expected), kind);
    assert.equal(span.attributes['rpc.response.status_code'], String(expected), kind);
    assert.equal(recordFor(span).success, false, kind);
  }
  await client.close();
});

test('a handler that rejects with null is still recorded as failed, with the internal-error code', async () => {
  const client = await connectInMemory(serverWith().server);
  spans.reset();
  // The SDK itself cannot answer a null rejection (it reads `.code` of it): the record must not depend on that.
  void client.readResource({ uri: 'test://throws-null' }).catch(() => {});
  const span = await finishedSpan('resources/read test://throws-null');
  assert.equal(span.attributes['error.type'], '-32603');
  await trail.forceFlush();
  const record = recordFor(span);
  assert.equal(record.success, false);
  assert.equal(record.error, 'null');
  await client.close();
});

test('a result whose summary cannot be read is recorded as failed, and the client gets an error, not the result', async () => {
  const unreadable = {
    toString: () => {
      throw new Error('summary unreadable');
    },
  } as unknown as string;
  const client = await connectInMemory(serverWith({ tools: { echo: { summarizeResult: () => unreadable } } }).server);
  spans.reset();
  await assert.rejects(client.callTool({ name: 'echo', arguments: {} }), /summary unreadable/);
  const span = spanNamed('tools/call echo');
  assert.ok(span);
  const record = recordFor(span);
  assert.equal(record.success, false);
  assert.equal(record.error, 'summary unreadable');
  await client.close();
});

test('drain waits for a call that finishes while it waits: the call is answered and recorded as it ended', async () => {
  const { server, instrumentation } = serverWith();
  let release = (): void => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  server.registerTool('gated', { inputSchema: {} }, async () => {
    await gate;
    return { content: [{ type: 'text', text: 'finished' }] } satisfies CallToolResult;
  });
  const client = await connectInMemory(server);
  spans.reset();
  const answer = client.callTool({ name: 'gated', arguments: {} });
  while (instrumentation.inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
  let drained = false;
  const draining = instrumentation.drain(60_000).then(() => (drained = true));
  // Released only once the drain has had every chance to give up on it: a drain that does not wait abandons it first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(drained, false, 'drain returned while a call was still running');
  release();
  await draining;
  assert.deepEqual((await answer).content, [{ type: 'text', text: 'finished' }]);
  const record = recordFor(spanNamed('tools/call gated')!);
  assert.equal(record.success, true);
  assert.equal(record.error, null);
  await client.close();
});

test('a call abandoned by the drain is a server_shutdown failure', async () => {
  const { server, instrumentation } = serverWith();
  server.registerTool('hang', { inputSchema: {} }, () => new Promise<CallToolResult>(() => {}));
  const client = await connectInMemory(server);
  spans.reset();
  void client.callTool({ name: 'hang', arguments: {} }).catch(() => {});
  while (instrumentation.inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
  await instrumentation.drain(0);
  const span = spanNamed('tools/call hang');
  assert.ok(span);
  assert.equal(span.attributes['error.type'], 'server_shutdown');
  await trail.forceFlush();
  assert.equal(recordFor(span).error, 'server shut down before the call completed');
  await client.close();
});
