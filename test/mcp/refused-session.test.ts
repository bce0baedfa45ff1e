import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { z } from 'zod';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../src/cli/trail-verifier.js';
import { auditFileNameFor, instrumentMcpServer, startAuditTrail, StreamableHttpMcpServer, type AuditTrail } from '../../src/index.js';
import { rawRequest } from '../support/raw-http.js';
import { fillDiskAfter } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'refused', version: '1' } },
} as const;
const CALL = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'count', arguments: {} } } as const;

let giveSpaceBack = (): void => {};
afterEach(() => giveSpaceBack()); // a failed test must not leave this process's disk full

/** A trail on a full disk (support/full-disk.ts) until `spaceReturns()`; `ran` counts the tool's runs. */
async function fullDiskTrail(name: string) {
  const logDir = makeTempDir(name);
  const trail = startAuditTrail({ logDir, register: false, serviceName: name });
  const spaceReturns = (giveSpaceBack = fillDiskAfter(join(logDir, auditFileNameFor(new Date().toISOString()))));
  const counter = { ran: 0 };
  const createSession = () => {
    const server = new McpServer({ name, version: '0.0.1' });
    const instrumentation = instrumentMcpServer(server, trail);
    server.registerTool('count', { inputSchema: { note: z.string().optional() } }, () => ({
      content: [{ type: 'text', text: String(++counter.ran) }],
    }));
    return { server, instrumentation };
  };
  return { logDir, trail, counter, createSession, spaceReturns };
}

async function verifiedTrail(logDir: string, trail: AuditTrail) {
  await trail.shutdown();
  assert.deepEqual((await verifyTrail(logDir, { hasher: ChainHasher.fromEnv() })).problems, []);
  return readTrail(logDir);
}

test('a refused initialize leaves no session: every later request is refused until an initialize is recorded (stdio, in-memory)', async () => {
  const { logDir, trail, counter, createSession, spaceReturns } = await fullDiskTrail('refused-local');
  const { server } = createSession();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const answers = new Map<unknown, JSONRPCMessage & { result?: unknown; error?: { message: string } }>();
  clientSide.onmessage = (message) => void answers.set((message as { id?: unknown }).id, message);
  await server.connect(serverSide);
  await clientSide.start();
  const ask = async (message: object, id: number) => {
    answers.delete(id);
    await clientSide.send({ ...message, id } as JSONRPCMessage);
    while (!answers.has(id)) await new Promise((resolve) => setTimeout(resolve, 5));
    return answers.get(id)!;
  };
  assert.match((await ask(INITIALIZE, 1)).error?.message ?? '', /the session is refused/);
  spaceReturns();
  // As sent: the client's McpError adds "MCP error -32600: " itself, so the message must not carry it already.
  const refused = { code: -32600, message: 'This session was refused (its session_start record could not be written); send initialize again' };
  assert.deepEqual((await ask(CALL, 2)).error, refused);
  assert.deepEqual((await ask({ jsonrpc: '2.0', method: 'tools/list', params: {} }, 3)).error, refused);
  assert.equal(counter.ran, 0, 'the tool never ran in the refused session');
  // A new initialize, now recorded, opens a session like any other.
  assert.ok((await ask(INITIALIZE, 4)).result);
  assert.ok((await ask(CALL, 5)).result);
  assert.equal(counter.ran, 1);
  await server.close();
  const records = await verifiedTrail(logDir, trail);
  assert.deepEqual(
    records.map((record) => [record.action, record.late ?? false]),
    [
      ['audit_gap', false],
      ['session_start', true],
      ['session_start', false],
      ['tool_call', false],
      ['session_end', false],
    ],
  );
});

test('over Streamable HTTP a refused initialize leaves no session id that works once space returns', async () => {
  const { logDir, trail, counter, createSession, spaceReturns } = await fullDiskTrail('refused-http');
  const http = new StreamableHttpMcpServer({ createSession, trail, host: '127.0.0.1', port: 0, tokens: null });
  const { port } = await http.listen();
  const refused = await rawRequest(port);
  assert.match(refused.body, /the session is refused/);
  spaceReturns();
  // The transport handed out an id with the refusal: it must not work.
  const sessionId = refused.headers['mcp-session-id'];
  assert.equal(typeof sessionId, 'string');
  const call = await rawRequest(port, {
    headers: { 'mcp-session-id': String(sessionId), 'mcp-protocol-version': '2025-06-18' },
    body: JSON.stringify(CALL),
  });
  assert.equal(call.status, 404, call.body);
  assert.equal(counter.ran, 0);
  assert.equal(http.sessionCount, 0, 'the refused session is gone from the table');
  await http.close();
  const records = await verifiedTrail(logDir, trail);
  assert.deepEqual(
    records.map((record) => [record.action, record.late ?? false]),
    [
      ['audit_gap', false],
      ['session_start', true],
    ],
  );
});
