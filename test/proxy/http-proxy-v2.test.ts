import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifies } from '../support/cli.js';
import { startHttpProxy, startUpstream, toolCalls, watchingFetch, type HttpArrival, stoppedAfterAll } from '../support/http-wire.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const started = stoppedAfterAll();

const text = (result: unknown): string => (result as { content: Array<{ text?: string }> }).content[0]?.text ?? '';

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; !condition(); tries++) {
    if (tries > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('SDK v2 server, v2 client pinned to 2026-07-28, bearer auth on the front: actor, identity from _meta, SSE, 20 in flight, cancellation, header mismatch', async () => {
  const logDir = join(makeTempDir('http-proxy-v2-modern'), 'logs');
  const upstream = await startUpstream('v2');
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_AUTH_TOKENS: 'tok-alice-0123456789=alice' });
  started.push(upstream.process, proxy.process);

  const refused = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(refused.status, 401);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'auth_failure').length, 1);

  const arrivals: HttpArrival[] = [];
  const transport = new V2Transport(proxy.url, {
    fetch: watchingFetch(logDir, arrivals),
    requestInit: { headers: { Authorization: 'Bearer tok-alice-0123456789' } },
  });
  const client = new V2Client({ name: 'modern-client', version: '2.4.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(transport);
  await client.listTools();

  const greeted = await client.callTool({ name: 'greet', arguments: { name: 'ada', api_key: 'sk_live_abcdefghijklmnop1234' } });
  assert.equal(text(greeted), 'hello ada');
  const refusedCall = await client.callTool({ name: 'refuse', arguments: { why: 'policy' } });
  assert.equal(refusedCall.isError, true);
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }));
  const progress: number[] = [];
  const slow = await client.callTool({ name: 'slow', arguments: { ms: 20, steps: 2 } }, { onprogress: (update) => progress.push(update.progress) });
  assert.equal(text(slow), 'waited 20 ms');
  assert.deepEqual(progress, [1, 2], 'progress streamed through as SSE before the answer');
  const many = await Promise.all(Array.from({ length: 20 }, (_, n) => client.callTool({ name: 'greet', arguments: { name: `n${n}` } })));
  assert.deepEqual(
    many.map(text),
    Array.from({ length: 20 }, (_, n) => `hello n${n}`),
  );

  const calls = toolCalls(readTrail(logDir));
  assert.equal(calls.length, 24);
  for (const record of calls) {
    const arrival = arrivals.find((candidate) => String(candidate.message.id) === record.request_id);
    assert.ok(arrival, `the answer to ${record.request_id} arrived`);
    assert.equal(toolCalls(arrival.trailAtArrival, record.request_id!).length, 1, `record ${record.request_id} on disk before its answer`);
    assert.equal(record.actor, 'alice');
    assert.equal(record.session_id, null);
    assert.equal(record.protocol_version, '2026-07-28');
    assert.deepEqual(record.client, { name: 'modern-client', version: '2.4.0' });
  }
  const greetRecord = calls.find((record) => record.input_summary['name'] === 'ada')!;
  assert.deepEqual(greetRecord.input_summary, { name: 'ada', api_key: '[REDACTED]' });
  assert.deepEqual(
    [calls.find((r) => r.tool_name === 'refuse')?.success, calls.find((r) => r.tool_name === 'refuse')?.error],
    [false, 'refused: policy'],
  );
  assert.match(calls.find((r) => r.tool_name === 'no_such_tool')?.error ?? '', /^MCP error -32602/);

  // Closing the response stream cancels the call in this era: one failed record.
  const abort = new AbortController();
  const aborted = client.callTool({ name: 'slow', arguments: { ms: 10_000 } }, { signal: abort.signal });
  setTimeout(() => abort.abort('user pressed stop'), 200);
  await assert.rejects(aborted);
  await until(() => toolCalls(readTrail(logDir)).length === 25, 'the cancelled record');
  const cancelled = toolCalls(readTrail(logDir)).at(-1)!;
  assert.deepEqual([cancelled.tool_name, cancelled.success], ['slow', false]);
  assert.match(cancelled.error ?? '', /^cancelled by the client/);

  // Headers that say one tool while the body calls another never reach the server.
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const mismatch = await fetch(proxy.url, {
    method: 'POST',
    headers: {
      authorization: 'Bearer tok-alice-0123456789',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'greet',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 'mismatch-1',
      method: 'tools/call',
      params: { name: 'refuse', arguments: { why: 'x' }, _meta: meta },
    }),
  });
  assert.equal(mismatch.status, 400);
  const answer = (await mismatch.json()) as { id: string; error: { code: number } };
  assert.deepEqual([answer.id, answer.error.code], ['mismatch-1', -32020]);
  const [mismatchRecord] = toolCalls(readTrail(logDir), 'mismatch-1');
  assert.equal(mismatchRecord?.success, false);
  assert.match(mismatchRecord?.error ?? '', /Mcp-Name header \("greet"\) does not match the body's name \("refuse"\)/);

  await client.close();
  assert.equal(await proxy.process.stop(), 0);
  assert.equal(toolCalls(readTrail(logDir)).length, 26);
  assert.ok(!JSON.stringify(readTrail(logDir)).includes('tok-alice'), 'the front token is never written');
  verifies(logDir);
});

test('v1 client to the v2 server (2025 era, no sessions): the upstream credential passes unchanged and is never written; the upstream killed mid-call and restarted', async () => {
  const logDir = join(makeTempDir('http-proxy-v2-legacy'), 'logs');
  let upstream = await startUpstream('v2');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const credential = 'Bearer upstream-secret-token-42';
  const transport = new StreamableHTTPClientTransport(proxy.url, { requestInit: { headers: { Authorization: credential } } });
  const client = new Client({ name: 'legacy-client', version: '1.32.2' });
  await client.connect(transport);
  assert.equal(transport.sessionId, undefined, 'the upstream runs without sessions');
  await client.listTools();

  assert.equal(text(await client.callTool({ name: 'whoami', arguments: {} })), credential, 'the Authorization header reached the upstream unchanged');
  const [whoami] = toolCalls(readTrail(logDir));
  assert.match(whoami?.actor ?? '', /^credential:[0-9a-f]{12}$/);
  assert.ok(!JSON.stringify(readTrail(logDir)).includes('upstream-secret'), 'the credential is never written');

  // Killed in the middle of a call: the client gets an error, the call a failed record naming the cause.
  const pending = client.callTool({ name: 'slow', arguments: { ms: 5_000 } });
  // Expected at once: the rejection may come while the kill is still being waited for.
  const rejected = assert.rejects(pending, /upstream/, proxy.process.output);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await upstream.process.stop('SIGKILL');
  await rejected;
  const [killed] = toolCalls(readTrail(logDir)).filter((record) => record.tool_name === 'slow');
  assert.equal(killed?.success, false);
  assert.match(killed?.error ?? '', /the upstream/);

  // While it is down: 502 and a failed record; the proxy stays up. A request sent on a kept-alive
  // connection the dead upstream had not yet been seen to close meets a reset instead of a refusal.
  const downCause = /the upstream \S+ (refused the connection \(ECONNREFUSED\)|closed the connection before answering \(ECONNRESET\))/;
  await assert.rejects(client.callTool({ name: 'greet', arguments: { name: 'nobody' } }), downCause);
  const [down] = toolCalls(readTrail(logDir)).filter((record) => record.input_summary['name'] === 'nobody');
  assert.match(down?.error ?? '', downCause);

  upstream = await startUpstream('v2', upstream.port);
  started.push(upstream.process);
  assert.equal(
    text(await client.callTool({ name: 'greet', arguments: { name: 'again' } })),
    'hello again',
    'the proxy recovers once the upstream is back',
  );

  await client.close();
  assert.equal(await proxy.process.stop(), 0);
  const calls = toolCalls(readTrail(logDir));
  assert.deepEqual(
    calls.map((record) => record.success),
    [true, false, false, true],
  );
  // No session follows an initialize there, so none is recorded: no session_start/session_end pair per initialize.
  assert.deepEqual(
    [...new Set(readTrail(logDir).map((record) => record.action))],
    ['tool_call'],
    'no session records for an upstream without sessions',
  );
  verifies(logDir);
});

test('server-everything: a Last-Event-ID replay of an answer the client already saw makes no second record', async () => {
  const logDir = join(makeTempDir('http-proxy-resume'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = (body: object, sessionId?: string): Promise<Response> =>
    fetch(proxy.url, { method: 'POST', headers: { ...headers, ...(sessionId ? { 'mcp-session-id': sessionId } : {}) }, body: JSON.stringify(body) });

  const init = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const sessionId = init.headers.get('mcp-session-id')!;
  await init.text();
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId)).text();
  const call = await post(
    {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 'p' } },
    },
    sessionId,
  );
  const stream = await call.text();
  const ids = [...stream.matchAll(/^id: ?(.+)$/gm)].map((match) => match[1]!.trim());
  assert.ok(ids.length >= 3 && /"id":7/.test(stream), `progress and the answer, each with an event id: ${stream}`);
  assert.equal(toolCalls(readTrail(logDir), 7).length, 1);

  const replay = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'last-event-id': ids[0]! } });
  const reader = replay.body!.getReader();
  let replayed = '';
  while (!/"id":7/.test(replayed)) replayed += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  assert.equal(toolCalls(readTrail(logDir), 7).length, 1, 'the replayed answer passed without a second record');

  assert.equal((await fetch(proxy.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } })).status, 200);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  verifies(logDir);
});
