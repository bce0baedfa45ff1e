import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, test } from 'node:test';
import { z } from 'zod';
import { BearerTokens, instrumentMcpServer, startAuditTrail, StreamableHttpMcpServer } from '../../src/index.js';
import { makeTempDir, readTrail, readTrailLines } from '../support/trail-files.js';

const spans = new InMemorySpanExporter();
const logDir = makeTempDir('http-trail');
const trail = startAuditTrail({ logDir, serviceName: 'http-test', spanProcessors: [new SimpleSpanProcessor(spans)] });

/** A small audited server per session; `whoami` answers with the principal the SDK passed to the handler. */
function createSession() {
  const server = new McpServer({ name: 'http-test', version: '0.0.1' });
  const instrumentation = instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  server.registerTool('whoami', { inputSchema: {} }, (_args, extra) => ({
    content: [{ type: 'text', text: extra.authInfo?.clientId ?? 'anonymous' }],
  }));
  return { server, instrumentation };
}

async function startServer(tokens: BearerTokens | null) {
  const http = new StreamableHttpMcpServer({ createSession, trail, host: '127.0.0.1', port: 0, tokens });
  const { url, port } = await http.listen();
  return { http, url: new URL(url), port };
}

const open = await startServer(null);
const guarded = await startServer(BearerTokens.parse('alice-secret-token=alice, bob-secret-token=bob', 'test'));
after(async () => {
  await open.http.close();
  await guarded.http.close();
  await trail.shutdown();
});

async function connect(url: URL, token?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(url, token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {});
  const client = new Client({ name: 'http-client', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

function text(result: unknown): string {
  const first = (result as CallToolResult).content[0];
  return first?.type === 'text' ? first.text : '';
}

/** A raw HTTP POST with chosen headers, for what an SDK client would never send. */
function rawPost(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let data = '';
        res.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('two sessions at once give records with distinct session ids, and spans carry tcp, the session and the client address', async () => {
  const [first, second] = await Promise.all([connect(open.url), connect(open.url)]);
  spans.reset();
  await Promise.all(
    [first, second].flatMap(({ client }, n) => [0, 1, 2].map((i) => client.callTool({ name: 'echo', arguments: { text: `s${n}-${i}` } }))),
  );
  const sessionIds = [first.transport.sessionId, second.transport.sessionId];
  assert.ok(sessionIds[0] && sessionIds[1] && sessionIds[0] !== sessionIds[1]);

  const records = readTrail(logDir).filter((record) => record.tool_name === 'echo');
  for (const [n, sessionId] of sessionIds.entries()) {
    const mine = records.filter((record) => record.session_id === sessionId);
    assert.deepEqual(mine.map((record) => record.input_summary['text']).sort(), [`s${n}-0`, `s${n}-1`, `s${n}-2`]);
    assert.ok(mine.every((record) => record.transport === 'streamable-http'));
  }
  for (const span of spans.getFinishedSpans()) {
    assert.equal(span.attributes['network.transport'], 'tcp');
    assert.ok(sessionIds.includes(span.attributes['mcp.session.id'] as string));
    assert.equal(span.attributes['client.address'], '127.0.0.1');
  }
  assert.equal(open.http.sessionCount, 2);
  await first.transport.terminateSession();
  await Promise.all([first.client.close(), second.client.close()]);
});

test('a client cannot forge its address: the header the HTTP layer uses is overwritten with the socket peer', async () => {
  const transport = new StreamableHTTPClientTransport(open.url, { requestInit: { headers: { 'x-mcp-audit-client-address': '10.9.9.9' } } });
  const client = new Client({ name: 'forger', version: '1.0.0' });
  await client.connect(transport);
  spans.reset();
  await client.callTool({ name: 'echo', arguments: { text: 'forged' } });
  const span = spans.getFinishedSpans()[0]!;
  assert.equal(span.attributes['client.address'], '127.0.0.1');
  assert.equal(readTrail(logDir).find((record) => record.span_id === span.spanContext().spanId)?.client_address, '127.0.0.1');
  await client.close();
});

test('a valid token names its principal to the tool handler and in the record', async () => {
  const { client } = await connect(guarded.url, 'bob-secret-token');
  spans.reset();
  assert.equal(text(await client.callTool({ name: 'whoami', arguments: {} })), 'bob');
  const record = readTrail(logDir).find((candidate) => candidate.span_id === spans.getFinishedSpans()[0]!.spanContext().spanId);
  assert.equal(record?.actor, 'bob');
  await client.close();
});

test('a missing or bad token gets 401 and an auth_failure record that does not contain the token', async () => {
  await assert.rejects(connect(guarded.url), /Unauthorized: missing bearer token/);
  await assert.rejects(connect(guarded.url, 'mallory-guess-1234'), /Unauthorized: invalid bearer token/);
  const malformed = await rawPost(guarded.port, { authorization: 'Basic bWFsbG9yeTpwdw==' });
  assert.equal(malformed.status, 401);

  const failures = readTrail(logDir).filter((record) => record.action === 'auth_failure');
  assert.deepEqual(failures.map((record) => record.error).slice(-3), [
    'missing bearer token',
    'invalid bearer token',
    'malformed Authorization header',
  ]);
  for (const record of failures) {
    assert.equal(record.success, false);
    assert.equal(record.transport, 'streamable-http');
    assert.equal(record.input_summary['path'], '/mcp');
    assert.equal(record.client_address, '127.0.0.1');
    assert.equal(record.actor, null);
  }
  assert.ok(!readTrailLines(logDir).some((line) => line.includes('mallory-guess-1234') || line.includes('bWFsbG9yeTpwdw')));
});

test("one principal's session cannot be used with another principal's token", async () => {
  const alice = await connect(guarded.url, 'alice-secret-token');
  const transport = new StreamableHTTPClientTransport(guarded.url, {
    sessionId: alice.transport.sessionId!,
    requestInit: { headers: { Authorization: 'Bearer bob-secret-token' } },
  });
  const bob = new Client({ name: 'hijacker', version: '1' });
  await transport.start();
  await assert.rejects(transport.send({ jsonrpc: '2.0', id: 7, method: 'tools/list' }), /Forbidden: session belongs to another principal/);
  assert.equal(readTrail(logDir).at(-1)?.error, 'session belongs to another principal');
  await Promise.all([alice.client.close(), bob.close()]);
});

test('a foreign Host header is refused (DNS rebinding); so is a foreign Origin; the local ones pass', async () => {
  assert.equal((await rawPost(open.port, { host: 'evil.example' })).status, 403);
  assert.equal((await rawPost(open.port, { host: `evil.example:${open.port}` })).status, 403);
  assert.equal((await rawPost(open.port, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await rawPost(open.port, { origin: 'null' })).status, 403);
  assert.equal((await rawPost(open.port, { host: `localhost:${open.port}`, origin: `http://localhost:${open.port}` })).status, 200);
});

test('an unknown session id gets 404 and a request without one that is not initialize gets 400', async () => {
  assert.equal((await rawPost(open.port, { 'mcp-session-id': 'no-such-session' })).status, 404);
  const notInitialize = await new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: open.port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
  });
  assert.equal(notInitialize, 400);
});

test('a session left without DELETE is closed once idle for longer than the timeout; its id is then unknown', async (t) => {
  // Long enough that a loaded machine's pause between initialize and the call does not expire the session first.
  const idle = new StreamableHttpMcpServer({ createSession, trail, host: '127.0.0.1', port: 0, tokens: null, sessionIdleTimeoutMs: 1_500 });
  t.after(() => idle.close());
  const { url, port } = await idle.listen();
  const { client, transport } = await connect(new URL(url));
  await client.callTool({ name: 'echo', arguments: { text: 'x' } });
  const sessionId = transport.sessionId!;
  // An open SSE stream is a client still there; closing the client drops its streams but sends no DELETE.
  await client.close();
  const deadline = Date.now() + 15_000;
  while (idle.sessionCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(idle.sessionCount, 0);
  assert.equal((await rawPost(port, { 'mcp-session-id': sessionId })).status, 404);
});
