import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { z } from 'zod';
import { auditTrailForNodeSdk, instrumentMcpServer, type SdkAuditTrail } from '../../src/index.js';
import { waitFor } from '../support/helpdesk-process.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

// Each test owns the global tracer provider in turn: the SDK it starts is shut down and unregistered after it.
let running: { sdk: NodeSDK | undefined; trail: SdkAuditTrail } | undefined;
afterEach(async () => {
  await running?.sdk?.shutdown();
  await running?.trail.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  metrics.disable();
  running = undefined;
});

/** An audit trail for the NodeSDK path, with the SDK started by `startSdk` (none if it returns undefined). */
function trailWith(startSdk: (trail: SdkAuditTrail) => NodeSDK | undefined): { trail: SdkAuditTrail; logDir: string } {
  const logDir = makeTempDir('sdk-audit-trail');
  const trail = auditTrailForNodeSdk({ logDir, serviceName: 'sdk-test' });
  const sdk = startSdk(trail);
  sdk?.start();
  running = { sdk, trail };
  return { trail, logDir };
}

function sdkWith(sampler: Sampler, spanProcessors: SpanProcessor[]): NodeSDK {
  return new NodeSDK({ serviceName: 'sdk-test', sampler, spanProcessors, instrumentations: [] });
}

async function callEchoThrice(trail: SdkAuditTrail): Promise<void> {
  const server = new McpServer({ name: 'sdk-test', version: '0.0.1' });
  instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  const client = await connectInMemory(server);
  for (const text of ['a', 'b', 'c']) await client.callTool({ name: 'echo', arguments: { text } });
  await client.close();
}

const toolCalls = (logDir: string) =>
  readTrail(logDir)
    .filter((record) => record.action === 'tool_call')
    .map((record) => record.input_summary);

test('an SDK whose sampler is AlwaysOff still gets every call recorded, and its own exporter none of the dropped spans', async () => {
  const exported = new InMemorySpanExporter();
  const userProcessor = new SimpleSpanProcessor(exported);
  const { trail, logDir } = trailWith((audit) => sdkWith(new AlwaysOffSampler(), [audit.spanProcessor, userProcessor]));
  await callEchoThrice(trail);
  await userProcessor.forceFlush(); // the SDK's resource detectors hold exports back until they settle
  assert.deepEqual(toolCalls(logDir), [{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
  assert.deepEqual(exported.getFinishedSpans(), []);
});

test("with a sampling SDK the spans the user exports are the ones recorded, under the SDK's service name", async (t) => {
  const stderr = t.mock.method(process.stderr, 'write');
  const exported = new InMemorySpanExporter();
  const userProcessor = new SimpleSpanProcessor(exported);
  const { trail, logDir } = trailWith((audit) => sdkWith(new AlwaysOnSampler(), [audit.spanProcessor, audit.redacting(userProcessor)]));
  await callEchoThrice(trail);
  await userProcessor.forceFlush();
  // The session's last record is written as the client closes, not before close() resolves.
  await waitFor(() => readTrail(logDir).length === 5, 'the five records');
  const recordedSpanIds = readTrail(logDir)
    .filter((record) => record.action === 'tool_call')
    .map((record) => record.span_id);
  const exportedToolSpanIds = exported
    .getFinishedSpans()
    .filter((span) => span.name === 'tools/call echo')
    .map((span) => span.spanContext().spanId);
  assert.deepEqual(exportedToolSpanIds, recordedSpanIds);
  assert.equal(recordedSpanIds.length, 3);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.service),
    ['sdk-test', 'sdk-test', 'sdk-test', 'sdk-test', 'sdk-test'],
  );
  // Records written while the SDK's resource detectors still run name the service without an error each.
  assert.deepEqual(
    stderr.mock.calls.map((call) => String(call.arguments[0])).filter((line) => line.includes('async attributes')),
    [],
  );
});

test('an SDK started without the audit processor still gets every call recorded, and says once on stderr what is missing', async (t) => {
  const exported = new InMemorySpanExporter();
  const stderr = t.mock.method(process.stderr, 'write');
  const userProcessor = new SimpleSpanProcessor(exported);
  const { trail, logDir } = trailWith(() => sdkWith(new AlwaysOnSampler(), [userProcessor]));
  await callEchoThrice(trail);
  await userProcessor.forceFlush();
  assert.deepEqual(toolCalls(logDir), [{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
  const warnings = stderr.mock.calls.map((call) => String(call.arguments[0])).filter((line) => line.includes('audit span processor is not among'));
  assert.equal(warnings.length, 1);
  // The spans the SDK made in vain are never ended, so never exported half-formed.
  assert.deepEqual(
    exported
      .getFinishedSpans()
      .map((span) => span.name)
      .filter((name) => name.startsWith('tools/call')),
    [],
  );
});

test('under the usual parent-based sampler, a client traceparent with sampled=0 keeps its record, and its trace', async () => {
  const exported = new InMemorySpanExporter();
  const userProcessor = new SimpleSpanProcessor(exported);
  const sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  const { trail, logDir } = trailWith((audit) => sdkWith(sampler, [audit.spanProcessor, userProcessor]));
  const server = new McpServer({ name: 'sdk-test', version: '0.0.1' });
  instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  const client = await connectInMemory(server);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await client.callTool({ name: 'echo', arguments: { text: 'unsampled' }, _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-00` } });
  await client.close();
  await userProcessor.forceFlush();
  const record = readTrail(logDir).find((line) => line.action === 'tool_call');
  assert.deepEqual([record?.input_summary, record?.trace_id], [{ text: 'unsampled' }, traceId]);
  assert.deepEqual(
    exported.getFinishedSpans().filter((span) => span.name.startsWith('tools/call')),
    [],
  );
});

test('with no SDK started at all, every call is still recorded, and so is an event', async () => {
  const { trail, logDir } = trailWith(() => undefined);
  await callEchoThrice(trail);
  await trail.recordEvent({ action: 'auth_failure', error: 'bad token', transport: 'streamable-http' });
  assert.deepEqual(toolCalls(logDir), [{ text: 'a' }, { text: 'b' }, { text: 'c' }]);
  assert.deepEqual(
    readTrail(logDir)
      .filter((record) => record.action === 'auth_failure')
      .map((record) => [record.error, record.service]),
    [['bad token', 'sdk-test']],
  );
});
