import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamableHttpMcpServer } from '../../src/index.js';
import { DEFAULT_HTTP_LIMITS, httpLimitsFromEnv } from '../../src/http/http-limits.js';
import { auditedHttpServers } from '../support/audited-http-server.js';
import { INITIALIZE, rawRequest } from '../support/raw-http.js';
import { readTrail } from '../support/trail-files.js';

const { logDir, trail, createSession, start } = auditedHttpServers('http-limits');

async function connect(url: URL) {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'limits-client', version: '1' });
  await client.connect(transport);
  return { client, transport };
}

test('bad limits are refused at startup, naming the variable; the defaults hold otherwise', () => {
  assert.deepEqual(httpLimitsFromEnv({}, {}), DEFAULT_HTTP_LIMITS);
  assert.equal(httpLimitsFromEnv({}, { MCP_MAX_SESSIONS: ' 7 ' }).maxSessions, 7);
  for (const [name, value] of [
    ['MCP_MAX_SESSIONS', 'many'],
    ['MCP_MAX_BODY_BYTES', '1e6'],
    ['MCP_REQUEST_TIMEOUT_MS', '0'],
    ['MCP_MAX_CONNECTIONS', '-3'],
    ['MCP_SESSION_IDLE_TIMEOUT_MS', '1.5'],
  ]) {
    assert.throws(() => httpLimitsFromEnv({}, { [name!]: value }), new RegExp(`^Error: ${name} must be a whole number >= 1, not "${value}"`));
  }
  assert.throws(
    () => httpLimitsFromEnv({}, { MCP_HEADERS_TIMEOUT_MS: '5000', MCP_REQUEST_TIMEOUT_MS: '1000' }),
    /MCP_HEADERS_TIMEOUT_MS \(5000\) must not exceed MCP_REQUEST_TIMEOUT_MS \(1000\)/,
  );
  assert.throws(
    () => new StreamableHttpMcpServer({ createSession, trail, port: 0, tokens: null }, { MCP_AUTH_FAILURE_RECORDS_PER_MINUTE: 'lots' }),
    /MCP_AUTH_FAILURE_RECORDS_PER_MINUTE/,
  );
});

test('past MCP_MAX_SESSIONS an initialize gets 503 with Retry-After and a JSON-RPC error; a closed session frees its place', async () => {
  const capped = await start({ maxSessions: 2 });
  const first = await connect(capped.url);
  const second = await connect(capped.url);
  const refused = await rawRequest(capped.port, { body: INITIALIZE });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '5');
  assert.match(JSON.parse(refused.body).error.message, /2 sessions open \(MCP_MAX_SESSIONS\)/);
  await assert.rejects(connect(capped.url), /503|MCP_MAX_SESSIONS/);
  // Sessions already open are served as before.
  await second.client.callTool({ name: 'echo', arguments: { text: 'still served' } });
  await first.transport.terminateSession();
  await first.client.close();
  const third = await connect(capped.url);
  assert.equal(capped.http.sessionCount, 2);
  await Promise.all([second.client.close(), third.client.close()]);
});

test('an idle session expires with a session_end record, as a closed one does', async () => {
  // Long enough that a loaded machine does not expire the session between its initialize and its first call.
  const idle = await start({ sessionIdleTimeoutMs: 1_500 });
  const { client, transport } = await connect(idle.url);
  const sessionId = transport.sessionId!;
  await client.callTool({ name: 'echo', arguments: { text: 'before going quiet' } });
  await client.close(); // drops the SSE stream, sends no DELETE
  const deadline = Date.now() + 10_000;
  while (idle.http.sessionCount > 0 && Date.now() < deadline) await sleep(25);
  assert.equal(idle.http.sessionCount, 0);
  await trail.forceFlush();
  const end = readTrail(logDir).find((record) => record.action === 'session_end' && record.session_id === sessionId);
  assert.match(String(end?.result_summary), /^closed after [\d.]+ s and \d+ requests$/);
  assert.equal((await rawRequest(idle.port, { headers: { 'mcp-session-id': sessionId } })).status, 404);
});
