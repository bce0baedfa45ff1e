import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { z } from 'zod';
import { BearerTokens, instrumentMcpServer, startAuditTrail, StreamableHttpMcpServer } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { rawRequest } from '../support/raw-http.js';
import { makeTempDir, readTrail, readTrailLines } from '../support/trail-files.js';

const logDir = makeTempDir('http-hostile');
const trail = startAuditTrail({ logDir, serviceName: 'http-hostile' });
const tokens = BearerTokens.parse('alice-secret-token=alice, bob-secret-token=bob', 'test');
const ALICE = { authorization: 'Bearer alice-secret-token' };

function createSession() {
  const server = new McpServer({ name: 'http-hostile', version: '0.0.1' });
  const instrumentation = instrumentMcpServer(server, trail);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  return { server, instrumentation };
}

async function start(limits: { authFailureRecordsPerMinute?: number; maxBodyBytes?: number } = {}) {
  const http = new StreamableHttpMcpServer({
    createSession,
    trail,
    host: '127.0.0.1',
    port: 0,
    tokens,
    limits: { authFailureRecordsPerMinute: 1000, ...limits },
  });
  const { port, url } = await http.listen();
  return { http, port, url: new URL(url) };
}

const guarded = await start({ maxBodyBytes: 64 * 1024 });
after(async () => {
  await guarded.http.close();
  await trail.shutdown();
  // Whatever the attacks below did, they are recorded in a chain that verifies.
  const verified = runCli(['verify', logDir]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
});

const authFailures = () => readTrail(logDir).filter((record) => record.action === 'auth_failure');

test('without a valid token the body is never parsed: not JSON, huge or empty, it gets 401 and an auth_failure record', async () => {
  const before = authFailures().length;
  const bodies = ['{"jsonrpc": "2.0", "id": 1, "method": "initia', '<html>not json</html>', Buffer.alloc(1024 * 1024, 'x'), ''];
  for (const body of bodies) {
    const answer = await rawRequest(guarded.port, { body, headers: { authorization: 'Bearer wrong-token-123' } });
    assert.equal(answer.status, 401);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(JSON.parse(answer.body).error.message, 'Unauthorized: invalid bearer token');
  }
  // No token at all, with a body larger than the body cap: still 401, not 413.
  assert.equal((await rawRequest(guarded.port, { body: Buffer.alloc(200 * 1024, '{') })).status, 401);
  const recorded = authFailures().slice(before);
  assert.deepEqual(
    recorded.map((record) => record.error),
    [...bodies.map(() => 'invalid bearer token'), 'missing bearer token'],
  );
  assert.ok(!readTrailLines(logDir).some((line) => line.includes('wrong-token-123')));
});

test('with a valid token, a body that is not JSON gets 400 and a JSON-RPC parse error, never an HTML page', async () => {
  for (const body of ['{"jsonrpc": "2.0", "id": 1,', 'not json at all', '"a string"']) {
    const answer = await rawRequest(guarded.port, { body, headers: ALICE });
    assert.equal(answer.status, 400, body);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    const parsed = JSON.parse(answer.body);
    assert.equal(parsed.error.code, -32700);
    assert.doesNotMatch(answer.body, /<html|at .*\.js:\d+/i);
  }
  const tooLarge = await rawRequest(guarded.port, { body: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }), headers: ALICE });
  assert.equal(tooLarge.status, 413);
  assert.match(JSON.parse(tooLarge.body).error.message, /larger than 65536 bytes \(MCP_MAX_BODY_BYTES\)/);
  // The same cap holds when the body comes chunked, with no length declared up front.
  const chunked = await rawRequest(guarded.port, {
    body: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }),
    headers: { ...ALICE, 'transfer-encoding': 'chunked' },
  });
  assert.equal(chunked.status, 413);
  assert.equal(JSON.parse(chunked.body).error.code, -32600);
  // And when the type only resembles JSON's, which the SDK transport would otherwise read itself, past our cap.
  const lookalike = await rawRequest(guarded.port, {
    body: `{"p":"${'x'.repeat(70 * 1024)}"}`,
    headers: { ...ALICE, 'content-type': 'application/json-seq', 'transfer-encoding': 'chunked' },
  });
  assert.equal(lookalike.status, 413);
});

test('every client-chosen string of an auth_failure record is redacted and truncated; a Bearer value is never stored', async () => {
  const before = authFailures().length;
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlLW9mLW1hbGxvcnk';
  const answers = [
    await rawRequest(guarded.port, {
      path: `/mcp/${'A'.repeat(12_000)}`,
      headers: { 'mcp-session-id': `Bearer ${jwt}`, 'user-agent': `probe ${'u'.repeat(3000)}` },
    }),
    await rawRequest(guarded.port, { headers: { 'mcp-session-id': 'S'.repeat(8000), authorization: `Bearer ${'B'.repeat(40)}` } }),
  ];
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [401, 401],
  );
  const [longPath, longSession] = authFailures().slice(before);
  assert.ok(longPath && longSession);
  assert.equal(longPath.session_id, '[REDACTED:bearer-token]');
  assert.match(String(longPath.input_summary['path']), /^\/mcp\/A{251}\.\.\.\[truncated 11749 chars\]$/);
  assert.match(String(longPath.input_summary['user_agent']), /^probe u+\.\.\.\[truncated/);
  assert.equal(longPath.redacted, true);
  assert.equal(longPath.truncated, true);
  assert.match(String(longSession.session_id), /^S{256}\.\.\.\[truncated 7744 chars\]$/);
  const lines = readTrailLines(logDir)
    .filter((line) => line.includes('"auth_failure"'))
    .slice(-2);
  for (const line of lines) assert.ok(line.length < 2000, `an auth_failure record of ${line.length} bytes`);
  assert.ok(!readTrailLines(logDir).some((line) => line.includes(jwt) || line.includes('B'.repeat(40))));
});

test('auth_failure records are rate-limited per source; what was held back is written as one counter record', async () => {
  const limited = await start({ authFailureRecordsPerMinute: 3 });
  const before = authFailures().length;
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await rawRequest(limited.port, { headers: { authorization: `Bearer guess-${i}` } })).status);
  for (let i = 0; i < 5; i++) statuses.push((await rawRequest(limited.port, { body: 'x' })).status);
  assert.ok(
    statuses.every((status) => status === 401),
    'every request is still refused',
  );
  assert.equal(authFailures().length - before, 3, 'only the first 3 are written one by one');
  await limited.http.close(); // writes the counter now rather than a minute later
  const counter = authFailures().at(-1)!;
  assert.equal(counter.input_summary['suppressed'], 22);
  assert.deepEqual(counter.input_summary['reasons'], { 'invalid bearer token': 17, 'missing bearer token': 5 });
  assert.deepEqual(counter.input_summary['sources'], { '127.0.0.1': 22 });
  assert.equal(counter.client_address, '127.0.0.1');
  assert.match(String(counter.error), /^22 auth failure\(s\) not recorded one by one/);
});

test("a session used with another principal's token gets 403 and an auth_failure record naming who tried", async () => {
  const transport = new StreamableHTTPClientTransport(guarded.url, { requestInit: { headers: ALICE } });
  const alice = new Client({ name: 'alice-client', version: '1' });
  await alice.connect(transport);
  const hijack = await rawRequest(guarded.port, {
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    headers: { authorization: 'Bearer bob-secret-token', 'mcp-session-id': transport.sessionId! },
  });
  assert.equal(hijack.status, 403);
  const record = authFailures().at(-1)!;
  assert.equal(record.error, 'session belongs to another principal');
  assert.equal(record.actor, 'bob');
  assert.equal(record.session_id, transport.sessionId);
  await alice.close();
});

test('no response says X-Powered-By, and unknown paths get a JSON 404', async () => {
  const answers = [
    await rawRequest(guarded.port, { headers: ALICE }),
    await rawRequest(guarded.port, {}),
    await rawRequest(guarded.port, { path: '/elsewhere', method: 'GET' }),
    await rawRequest(guarded.port, { headers: { host: 'evil.example' } }),
  ];
  assert.deepEqual(
    answers.map((answer) => answer.status),
    [200, 401, 404, 403],
  );
  for (const answer of answers) assert.equal(answer.headers['x-powered-by'], undefined);
  assert.equal(JSON.parse(answers[2]!.body).error.code, -32600);
});
