import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditFileNameFor } from '../../src/index.js';
import { verifies } from '../support/cli.js';
import { fillDiskAfter } from '../support/full-disk.js';
import { startHttpProxy, startUpstream, toolCalls, stoppedAfterAll } from '../support/http-wire.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { processWriterWentIdle } from '../support/writer-idle.js';

// The loose ends of the HTTP proxy's sessions: an upstream session the proxy refused or swept is ended upstream too,
// a swept session id is unknown (404) rather than taken up again, and a proxy shutting down fails the calls it still
// holds, as its own doing. Real upstreams and SDK clients over loopback; waits are bounded, none is a timing claim.

const started = stoppedAfterAll();
const UPSTREAM_AUTH = { Authorization: 'Bearer upstream-secret' };
const text = (result: unknown): string => (result as { content: Array<{ text?: string }> }).content[0]?.text ?? '';

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A 2025-era initialize sent by hand (so that no GET stream keeps the session busy); its session id. */
async function openSession(url: URL): Promise<string> {
  const headers = { ...UPSTREAM_AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const params = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-client', version: '1' } };
  const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params }) });
  await init.text();
  const sessionId = init.headers.get('mcp-session-id');
  assert.ok(sessionId, `the upstream named a session (HTTP ${init.status})`);
  const initialized = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'mcp-session-id': sessionId },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.text();
  return sessionId;
}

/** A POST in the session, as a client sends it (the upstream's token included); `body` as it goes on the wire. */
function postInSession(url: URL, sessionId: string, body: Buffer | string): Promise<Response> {
  const headers = {
    ...UPSTREAM_AUTH,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': sessionId,
  };
  return fetch(url, { method: 'POST', headers, body });
}

/**
 * Takes the writers' lock as a writer on another host would: touches the waiting note until the proxy's idle writer
 * lets the lock go, then makes the lock directory. No owner note of this host: the proxy waits for it to go stale.
 */
async function takeLockElsewhere(logDir: string): Promise<void> {
  const lock = join(logDir, 'audit.lock');
  await until(() => {
    try {
      mkdirSync(lock, { mode: 0o700 });
      return true;
    } catch {
      const now = new Date();
      utimesSync(`${lock}.waiting`, now, now);
      return false;
    }
  }, 'the proxy to let the lock go');
}

test('a DELETE the upstream accepts is answered only once its session_end is written, the lock busy meanwhile', async () => {
  const logDir = join(makeTempDir('http-proxy-delete'), 'logs');
  const upstream = await startUpstream('v1Sessions');
  const proxy = await startHttpProxy(logDir, upstream.url, { AUDIT_LOCK_STALE_MS: '2000' });
  started.push(upstream.process, proxy.process);
  const sessionId = await openSession(proxy.url);
  await processWriterWentIdle(proxy.process.child.pid!, logDir, readTrail(logDir).length);
  // Until the lock goes stale (2 s), the session_end cannot be written: the answer to the DELETE must wait for it.
  await takeLockElsewhere(logDir);
  const deleted = await fetch(proxy.url, { method: 'DELETE', headers: { ...UPSTREAM_AUTH, 'mcp-session-id': sessionId } });
  const trailAtAnswer = readTrail(logDir);
  await deleted.text();
  assert.equal(deleted.status, 200);
  assert.deepEqual(
    trailAtAnswer.map((record) => [record.action, record.session_id]),
    [
      ['session_start', sessionId],
      ['session_end', sessionId],
    ],
  );
  assert.equal(await proxy.process.stop(), 0);
  verifies(logDir);
});

test("a session refused because its session_start could not be written is ended upstream too: a DELETE with the client's Authorization", async () => {
  const logDir = join(makeTempDir('http-proxy-refused-delete'), 'logs');
  const upstream = await startUpstream('v1Sessions');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  // A first session, so that the trail's day file exists and the disk can then fill up under it.
  const first = await openSession(proxy.url);

  const dayFile = join(logDir, auditFileNameFor(new Date().toISOString()));
  await processWriterWentIdle(proxy.process.child.pid!, logDir, readTrail(logDir).length);
  const spaceReturns = fillDiskAfter(dayFile, proxy.process.child.pid!);

  const transport = new StreamableHTTPClientTransport(proxy.url, { requestInit: { headers: UPSTREAM_AUTH } });
  const client = new Client({ name: 'refused-client', version: '1' });
  await assert.rejects(client.connect(transport), /Audit record could not be written \(EFBIG/);
  const refused = transport.sessionId;
  assert.ok(refused, 'the upstream had named the session before its start could be recorded');
  await until(() => upstream.process.output.includes(`DELETE ${refused} -> `), 'the proxy to end the upstream session');
  assert.match(upstream.process.output, new RegExp(`DELETE ${refused} -> 200`), 'the DELETE carried the Authorization the upstream wants');
  spaceReturns();

  const direct = await fetch(upstream.url, {
    method: 'POST',
    headers: { ...UPSTREAM_AUTH, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': refused },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(direct.status, 404, `the upstream no longer knows the refused session: ${await direct.text()}`);
  assert.ok(!proxy.process.output.includes('could not end the upstream session'), proxy.process.output);
  assert.ok(!upstream.process.output.includes(`DELETE ${first}`), 'the session that was recorded is left alone');

  assert.equal(await proxy.process.stop(), 0);
  assert.ok(!JSON.stringify(readTrail(logDir)).includes('upstream-secret'), 'the credential is never written');
  verifies(logDir);
});

test("a session the idle sweep ended: its id gets 404 and goes no further, the SDK client initializes again; the upstream's refusal of the DELETE is on stderr", async () => {
  const logDir = join(makeTempDir('http-proxy-swept'), 'logs');
  // This upstream refuses DELETE (405), so it still knows the swept session: only the proxy can stop a request naming it.
  const upstream = await startUpstream('v1Sessions', undefined, { SESSION_DELETE: 'refused' });
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_SESSION_IDLE_TIMEOUT_MS: '2500' });
  started.push(upstream.process, proxy.process);
  const swept = await openSession(proxy.url);
  await until(() => readTrail(logDir).some((record) => record.action === 'session_end'), 'the idle session to be swept', 60_000);
  await until(() => proxy.process.output.includes('could not end the upstream session'), 'the DELETE to fail');
  assert.match(
    proxy.process.output,
    new RegExp(
      `could not end the upstream session ${swept} \\(it was idle past MCP_SESSION_IDLE_TIMEOUT_MS\\): the upstream answered the DELETE with HTTP 405`,
    ),
  );
  // The upstream logs the DELETE on its own stderr, which may reach us after the proxy's line.
  await until(() => upstream.process.output.includes(`DELETE ${swept} -> `), 'the upstream to log the DELETE');
  assert.match(upstream.process.output, new RegExp(`DELETE ${swept} -> 405`));

  // An SDK client still holding the swept session id (it skips initialize when given one).
  const stale = new Client({ name: 'stale-client', version: '1' });
  await stale.connect(new StreamableHTTPClientTransport(proxy.url, { sessionId: swept, requestInit: { headers: UPSTREAM_AUTH } }));
  await assert.rejects(stale.callTool({ name: 'echo', arguments: { message: 'in a swept session' } }), (error: Error & { code?: number }) => {
    assert.equal(error.code, 404);
    assert.match(error.message, /Session not found/);
    return true;
  });
  await stale.close();
  assert.equal(toolCalls(readTrail(logDir)).length, 0, 'the call never reached the upstream');

  // What the spec asks of the client on 404: a new session, by a new initialize.
  const transport = new StreamableHTTPClientTransport(proxy.url, { requestInit: { headers: UPSTREAM_AUTH } });
  const fresh = new Client({ name: 'fresh-client', version: '1' });
  await fresh.connect(transport);
  assert.notEqual(transport.sessionId, swept);
  assert.equal(text(await fresh.callTool({ name: 'echo', arguments: { message: 'again' } })), 'echo again');
  await fresh.close();

  assert.equal(await proxy.process.stop(), 0);
  const records = readTrail(logDir);
  assert.deepEqual(
    records.map((record) => [record.action, record.session_id]),
    [
      ['session_start', swept],
      ['session_end', swept],
      ['session_start', transport.sessionId],
      ['tool_call', transport.sessionId],
      ['session_end', transport.sessionId],
    ],
  );
  verifies(logDir);
});

test('SIGTERM with calls in flight (a 2026-07-28 call, a call in a 2025 session): each recorded as failed because the proxy shut down, each client answered with that error', async () => {
  const logDir = join(makeTempDir('http-proxy-shutdown'), 'logs');
  const modernUpstream = await startUpstream('v2');
  const sessionUpstream = await startUpstream('v1Sessions');
  const modernProxy = await startHttpProxy(logDir, modernUpstream.url);
  const sessionProxy = await startHttpProxy(logDir, sessionUpstream.url);
  started.push(modernUpstream.process, sessionUpstream.process, modernProxy.process, sessionProxy.process);

  const modern = new V2Client({ name: 'modern-client', version: '2' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await modern.connect(new V2Transport(modernProxy.url));
  const legacy = new Client({ name: 'session-client', version: '1' });
  await legacy.connect(new StreamableHTTPClientTransport(sessionProxy.url, { requestInit: { headers: UPSTREAM_AUTH } }));

  // Each call has reached its upstream once its first progress event is back; then the proxies are stopped.
  let progressed = 0;
  const modernCall = modern.callTool({ name: 'slow', arguments: { ms: 120_000, steps: 1 } }, { onprogress: () => void progressed++ });
  const legacyCall = legacy.callTool({ name: 'wait', arguments: { ms: 120_000 } }, undefined, {
    onprogress: () => void progressed++,
    timeout: 300_000,
  });
  const modernFailed = assert.rejects(modernCall, /the proxy shut down \(SIGTERM\) before the upstream answered/);
  const legacyFailed = assert.rejects(legacyCall, /the proxy shut down \(SIGTERM\) before the upstream answered/);
  await until(() => progressed === 2, 'both calls to be under way');
  assert.deepEqual(await Promise.all([modernProxy.process.stop('SIGTERM'), sessionProxy.process.stop('SIGTERM')]), [0, 0]);
  await Promise.all([modernFailed, legacyFailed]);
  await Promise.allSettled([modern.close(), legacy.close()]);

  const calls = toolCalls(readTrail(logDir));
  assert.deepEqual(calls.map((record) => record.tool_name).sort(), ['slow', 'wait']);
  for (const record of calls) {
    assert.equal(record.success, false);
    assert.equal(record.error, 'the proxy shut down (SIGTERM) before the upstream answered', 'not "cancelled by the client"');
  }
  verifies(logDir);
});

test('SIGTERM with a call in flight to an upstream that answers in plain JSON: the client gets 503 and the JSON-RPC error saying the proxy shut down, and the call is recorded as failed for that reason', async () => {
  const logDir = join(makeTempDir('http-proxy-shutdown-json'), 'logs');
  const upstream = await startUpstream('v1Sessions', undefined, { JSON_RESPONSE: '1' });
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const sessionId = await openSession(proxy.url);

  // No SSE stream is open for this call: the proxy has sent nothing yet when it shuts down, so it can still choose the status.
  const call = postInSession(
    proxy.url,
    sessionId,
    JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'wait', arguments: { ms: 120_000 } } }),
  );
  await upstream.process.until(() => upstream.process.output.includes('wait 120000 started'), 'the call to reach the upstream');
  const stopped = proxy.process.stop('SIGTERM');
  const answer = await call;
  assert.equal(answer.status, 503);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await answer.json(), {
    jsonrpc: '2.0',
    id: 7,
    error: { code: -32603, message: 'the proxy shut down (SIGTERM) before the upstream answered' },
  });
  assert.equal(await stopped, 0);

  const calls = toolCalls(readTrail(logDir));
  assert.deepEqual(
    calls.map((record) => [record.tool_name, record.success, record.error, record.session_id]),
    [['wait', false, 'the proxy shut down (SIGTERM) before the upstream answered', sessionId]],
  );
  verifies(logDir);
});

test('a tools/call body led by a BOM, which the SDK v1 transport skips and runs: the proxy refuses it with its record, the upstream never sees it', async () => {
  const logDir = join(makeTempDir('http-proxy-bom'), 'logs');
  const upstream = await startUpstream('v1Sessions', undefined, { JSON_RESPONSE: '1' });
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const sessionId = await openSession(proxy.url);
  const post = (body: Buffer) => postInSession(proxy.url, sessionId, body);
  const call = (ms: number) =>
    Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: ms, method: 'tools/call', params: { name: 'wait', arguments: { ms } } }));

  const refused = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), call(1)]));
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32700, message: 'Parse error: the message is not valid JSON' },
  });
  const passed = await post(call(2));
  assert.equal(passed.status, 200);
  assert.match(upstream.process.output, /wait 2 started/);
  assert.doesNotMatch(upstream.process.output, /wait 1 started/, 'the upstream never ran the call the proxy could not read');
  const violations = readTrail(logDir).filter((record) => record.action === 'protocol_violation');
  assert.equal(violations.length, 1);
  assert.equal(violations[0]!.session_id, sessionId);
  verifies(logDir);
});

test('sessions per principal: past MCP_MAX_SESSIONS_PER_PRINCIPAL an initialize gets 429, Retry-After and an auth_failure record; past MCP_MAX_SESSIONS, 503; nothing reaches the upstream', async () => {
  const logDir = join(makeTempDir('http-proxy-session-caps'), 'logs');
  const upstream = await startUpstream('everything');
  const tokens = 'tok-alice-0123456789=alice,tok-bob-9876543210=bob,tok-carol-5555555555=carol';
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_AUTH_TOKENS: tokens, MCP_MAX_SESSIONS: '4', MCP_MAX_SESSIONS_PER_PRINCIPAL: '2' });
  started.push(upstream.process, proxy.process);
  const connect = async (token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const transport = new StreamableHTTPClientTransport(proxy.url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: 'capped-client', version: '1' });
    await client.connect(transport);
    return { client, transport };
  };
  const rawInitialize = (token: string): Promise<Response> =>
    fetch(proxy.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
  const upstreamSessions = (): number => upstream.process.output.match(/Session initialized with ID/g)?.length ?? 0;

  const alice = [await connect('tok-alice-0123456789'), await connect('tok-alice-0123456789')];
  const third = await rawInitialize('tok-alice-0123456789');
  assert.equal(third.status, 429);
  assert.equal(third.headers.get('retry-after'), '5');
  assert.deepEqual(await third.json(), {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32001, message: 'Too many sessions: 2 open for this principal (MCP_MAX_SESSIONS_PER_PRINCIPAL); end one or retry later' },
  });
  await assert.rejects(connect('tok-alice-0123456789'), (error: Error & { code?: number }) => error.code === 429);
  assert.equal(upstreamSessions(), 2, 'a refused initialize never reaches the upstream');

  const bob = [await connect('tok-bob-9876543210'), await connect('tok-bob-9876543210')];
  const carol = await rawInitialize('tok-carol-5555555555');
  assert.equal(carol.status, 503, 'four sessions open in all: MCP_MAX_SESSIONS');
  assert.equal(carol.headers.get('retry-after'), '5');
  assert.match(((await carol.json()) as { error: { message: string } }).error.message, /4 sessions open \(MCP_MAX_SESSIONS\)/);

  // Alice ends one of hers: there is room for her again.
  await alice[0]!.transport.terminateSession();
  await alice[0]!.client.close();
  const again = await connect('tok-alice-0123456789');
  assert.equal(upstreamSessions(), 5);

  await Promise.all([again, alice[1]!, ...bob].map(({ client }) => client.close()));
  assert.equal(await proxy.process.stop(), 0);
  const failures = readTrail(logDir).filter((record) => record.action === 'auth_failure');
  assert.deepEqual(
    failures.map((record) => [record.actor, record.error]),
    [
      ['alice', 'too many sessions open for this principal (MCP_MAX_SESSIONS_PER_PRINCIPAL)'],
      ['alice', 'too many sessions open for this principal (MCP_MAX_SESSIONS_PER_PRINCIPAL)'],
    ],
    "each 429 recorded with who asked; the 503 is not a principal's doing and records nothing",
  );
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_start').length, 5);
  verifies(logDir);
});
