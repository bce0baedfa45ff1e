import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { z } from 'zod';
import { ForwardingSpanProcessor, instrumentMcpServer, startAuditTrail } from '../../src/index.js';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { SECRET_SAMPLES } from '../support/secrets.js';
import { makeTempDir, readTrail, readTrailLines } from '../support/trail-files.js';

const sample = (kind: string) => SECRET_SAMPLES.find((candidate) => candidate.kind === kind)!;
const [github, jwt, slack, conn, aws] = ['github-token', 'jwt', 'slack-token', 'connection-string', 'aws-secret-key'].map(sample) as Array<
  ReturnType<typeof sample>
>;
const SECRETS = [github!, jwt!, slack!, conn!, aws!];

// What startAuditTrail's `register` installs: the caller's traceparent and tracestate are read from params._meta.
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const receivers: OtlpReceiver[] = [];
after(() => Promise.all(receivers.map((receiver) => receiver.close())));

/** A client that writes JSON-RPC itself, so that it can choose the ids, the client info and the _meta the SDK client would not. */
async function rawClient(server: McpServer, sessionId: string) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  serverSide.sessionId = sessionId;
  const answers = new Map<string | number, (message: JSONRPCMessage) => void>();
  clientSide.onmessage = (message) => {
    if ('id' in message && message.id !== undefined) answers.get(message.id)?.(message);
  };
  await server.connect(serverSide);
  await clientSide.start();
  const request = (id: string | number, method: string, params: Record<string, unknown>) =>
    new Promise<JSONRPCMessage>((resolve) => {
      answers.set(id, resolve);
      void clientSide.send({ jsonrpc: '2.0', id, method, params });
    });
  return { request, notify: (method: string) => clientSide.send({ jsonrpc: '2.0', method }), close: () => clientSide.close() };
}

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  test(`${protocol}: secrets in client-chosen ids, names, _meta and events reach neither the collector nor the trail`, async () => {
    const collector = await OtlpReceiver.start();
    receivers.push(collector);
    const url = `${collector.baseUrl}/v1/traces`;
    const exporter = protocol === 'http/json' ? new OtlpJsonTraceExporter({ url }) : new OtlpProtoTraceExporter({ url });
    const logDir = makeTempDir('otlp-redaction');
    const trail = startAuditTrail({
      logDir,
      serviceName: 'otlp-redaction',
      register: false,
      spanProcessors: [new ForwardingSpanProcessor({ exporter })],
    });
    const server = new McpServer({ name: 'otlp-redaction', version: '1.0.0' });
    instrumentMcpServer(server, trail);
    server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => {
      // A tool may annotate the call's span itself: its events are exported too.
      trace.getActiveSpan()?.addEvent('echoing', { text });
      return { content: [{ type: 'text', text }] };
    });

    const client = await rawClient(server, `sess-${jwt!.value}`);
    await client.request(0, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: { roots: {}, [`x-${slack!.value}`]: {} },
      clientInfo: { name: `agent ${aws!.value}`, version: '1.0' },
    });
    await client.notify('notifications/initialized');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const called = await client.request(github!.value, 'tools/call', {
      name: 'echo',
      arguments: { text: `hi ${slack!.value}` },
      _meta: { traceparent, tracestate: `vendor=${slack!.value}` },
    });
    assert.ok('result' in called, JSON.stringify(called));
    await client.request(7, 'tools/call', { name: conn!.value, arguments: {} });
    await client.close();
    await trail.shutdown();

    const received = Buffer.concat(collector.bodies);
    const written = readTrailLines(logDir).join('\n');
    for (const secret of SECRETS) {
      assert.ok(!received.includes(secret.tell), `${secret.kind} reached the collector`);
      assert.ok(!written.includes(secret.tell), `${secret.kind} reached the trail`);
    }
    // The spans did arrive, with markers where the secrets were.
    const call = collector.spans.find((span) => span.name === 'tools/call echo')!;
    assert.equal(call.attributes['jsonrpc.request.id'], '[REDACTED:github-token]');
    assert.equal(call.attributes['mcp.session.id'], 'sess-[REDACTED:jwt]');
    assert.equal(call.traceId, '0af7651916cd43dd8448eb211c80319c', 'the traceparent still parents the span');
    assert.ok(collector.spans.some((span) => span.name.startsWith('tools/call postgres://app:[REDACTED:connection-string]@')));

    const records = readTrail(logDir);
    const echo = records.find((record) => record.tool_name === 'echo')!;
    assert.deepEqual([echo.request_id, echo.session_id], ['[REDACTED:github-token]', 'sess-[REDACTED:jwt]']);
    assert.ok(
      echo.redacted_fields.includes('request_id') && echo.redacted_fields.includes('session_id') && echo.redacted_fields.includes('client.name'),
    );
    const start = records.find((record) => record.action === 'session_start')!;
    assert.deepEqual(start.input_summary['client_capabilities'], ['roots', 'x-[REDACTED:slack-token]']);
    assert.ok(start.redacted_fields.includes('input_summary.client_capabilities'));
  });
}
