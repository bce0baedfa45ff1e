import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { z } from 'zod';
import { instrumentMcpServer, startAuditTrail, type AuditRecord, type McpAuditOptions } from '../../src/index.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const logDir = makeTempDir('sessions');
const trail = startAuditTrail({ logDir, serviceName: 'sessions-test', register: false });
after(() => trail.shutdown());
const osUser = userInfo().username;

function auditedServer(options: McpAuditOptions = {}) {
  const server = new McpServer({ name: 'sessions', version: '0.0.1' });
  const instrumentation = instrumentMcpServer(server, trail, options);
  server.registerTool('ping', { inputSchema: { note: z.string().optional() } }, () => ({ content: [{ type: 'text', text: 'pong' }] }));
  server.registerResource('manual', new ResourceTemplate('docs://{page}', { list: undefined }), {}, (uri) => ({
    contents: [{ uri: uri.href, text: 'manual page' }],
  }));
  server.registerPrompt('triage', { argsSchema: { issue: z.string() } }, ({ issue }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Triage: ${issue}` } }],
  }));
  return { server, instrumentation };
}

function recordsOf(clientName: string): AuditRecord[] {
  return readTrail(logDir).filter((record) => record.client?.name === clientName);
}

test('in process: session start and end frame the calls, every record names the OS user as actor', async () => {
  const { server, instrumentation } = auditedServer();
  const client = await connectInMemory(server, { name: 'inproc-client', version: '9.9.9' });
  await client.callTool({ name: 'ping', arguments: {} });
  await client.close();
  await instrumentation.drain(1000);
  const records = recordsOf('inproc-client');
  assert.deepEqual(
    records.map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  const [start, call, end] = records as [AuditRecord, AuditRecord, AuditRecord];
  assert.ok(records.every((record) => record.actor === osUser && record.client?.version === '9.9.9'));
  assert.equal(typeof start.protocol_version, 'string');
  assert.equal(start.result_summary, `protocol ${start.protocol_version}`);
  assert.deepEqual(start.input_summary['requested_protocol_version'], start.protocol_version);
  assert.equal(call.protocol_version, start.protocol_version);
  assert.match(end.result_summary ?? '', /^closed after \d+\.\d{3} s and 1 requests$/);
  assert.ok(records.every((record) => record.success));
});

test('resource reads and prompt gets are records of their own action; tools/list only when asked', async () => {
  const { server } = auditedServer({ recordToolsList: true });
  const client = await connectInMemory(server, { name: 'discovery-client', version: '1' });
  await client.listTools();
  await client.readResource({ uri: 'docs://vpn?token=abc' });
  await client.getPrompt({ name: 'triage', arguments: { issue: 'printer on fire' } });
  await assert.rejects(client.readResource({ uri: 'nowhere://x' }));
  await client.close();
  const byAction = new Map(recordsOf('discovery-client').map((record) => [record.action, record]));
  assert.equal(byAction.get('tools_list')?.result_summary, '1 tools');
  const read = recordsOf('discovery-client').filter((record) => record.action === 'resource_read');
  assert.deepEqual(
    read.map((record) => [record.input_summary['uri'], record.success, record.result_summary]),
    [
      // A credential in a resource URI's query is redacted like any other value.
      ['docs://vpn?token=[REDACTED:assigned-secret]', true, '1 contents'],
      ['nowhere://x', false, null],
    ],
  );
  assert.match(read[1]!.error ?? '', /not found/);
  const prompt = byAction.get('prompt_get')!;
  assert.deepEqual(prompt.input_summary, { prompt: 'triage', issue: 'printer on fire' });
  assert.equal(prompt.result_summary, '1 messages');

  const { server: quiet } = auditedServer();
  const quietClient = await connectInMemory(quiet, { name: 'quiet-client', version: '1' });
  await quietClient.listTools();
  await quietClient.close();
  assert.ok(!recordsOf('quiet-client').some((record) => record.action === 'tools_list'));
});

test('stdio: the spawned help-desk server records the OS user, its session start and its session end', async () => {
  const dir = makeTempDir('sessions-stdio');
  const serverPath = fileURLToPath(new URL('../../src/bin/helpdesk-server.js', import.meta.url));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [serverPath],
    env: { ...process.env, AUDIT_LOG_DIR: dir } as Record<string, string>,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'stdio-client', version: '2.0.0' });
  await client.connect(transport);
  await client.callTool({ name: 'lookup_inventory', arguments: { query: 'monitor' } });
  await client.close();
  // Closing stdin makes the server drain and exit; its last record is the session end (bounded wait).
  let records = readTrail(dir);
  for (let i = 0; i < 50 && !records.some((record) => record.action === 'session_end'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    records = readTrail(dir);
  }
  assert.deepEqual(
    records.map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  for (const record of records) {
    assert.equal(record.actor, osUser);
    assert.equal(record.transport, 'stdio');
    assert.equal(record.client_address, null);
    assert.deepEqual(record.client, { name: 'stdio-client', version: '2.0.0' });
  }
});

test('HTTP: the authenticated principal is the actor, with the client address; the token is never written', async () => {
  const token = `tok-${randomUUID()}`;
  const { server } = auditedServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await server.connect(transport);
  // A minimal bearer check of the kind real middleware does: it sets req.auth.
  const http = createServer((req: IncomingMessage & { auth?: AuthInfo }, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    req.auth = { token, clientId: 'alice@example.org', scopes: [], extra: { clientAddress: req.socket.remoteAddress } };
    void transport.handleRequest(req, res);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  const client = new Client({ name: 'http-client', version: '3.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  await client.callTool({ name: 'ping', arguments: { note: 'over http' } });
  await client.close();
  await server.close();
  http.close();
  await trail.forceFlush();

  const records = recordsOf('http-client');
  assert.deepEqual(
    records.map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  for (const record of records) {
    assert.equal(record.actor, 'alice@example.org');
    assert.equal(record.transport, 'streamable-http');
    assert.match(record.client_address ?? '', /127\.0\.0\.1$/);
    assert.equal(typeof record.session_id, 'string');
  }
  assert.ok(!JSON.stringify(readTrail(logDir)).includes(token));
});

test('a secret in the client info is redacted in every record of the session, which says so', async () => {
  const { server, instrumentation } = auditedServer();
  const client = await connectInMemory(server, { name: 'leaky-client Bearer sEcReTtOkEn12345', version: '1' });
  await client.callTool({ name: 'ping', arguments: {} });
  await client.close();
  await instrumentation.drain(1000);
  const records = recordsOf('leaky-client [REDACTED:bearer-token]');
  assert.deepEqual(
    records.map((record) => [record.action, record.redacted]),
    [
      ['session_start', true],
      ['tool_call', true],
      ['session_end', true],
    ],
  );
  assert.ok(!JSON.stringify(readTrail(logDir)).includes('sEcReTtOkEn12345'));
});
