import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { auditFileNameFor } from '../../src/index.js';
import { verifies } from '../support/cli.js';
import { startHttpProxy, startUpstream, toolCalls, watchingFetch, type HttpArrival, stoppedAfterAll } from '../support/http-wire.js';
import { fillDiskAfter } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import type { WireMessage } from '../support/wire-proxy.js';

// What the HTTP proxy promises beyond the happy path: batches, sessions kept to their principal,
// fail closed, the body cap and the idle sweep. Real processes on 127.0.0.1; a failed assertion
// still ends every child (the `after` below), and no assertion depends on how fast the machine is.

const started = stoppedAfterAll();

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ACCEPT = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The JSON-RPC messages of an answer, in a JSON body or in SSE events. */
function messagesOf(type: string, text: string): WireMessage[] {
  if (type.includes('application/json')) {
    const value = JSON.parse(text) as WireMessage | WireMessage[];
    return Array.isArray(value) ? value : [value];
  }
  return text
    .split(/\r?\n\r?\n/)
    .map((event) =>
      event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n'),
    )
    .filter((data) => data !== '')
    .flatMap((data) => {
      const value = JSON.parse(data) as WireMessage | WireMessage[];
      return Array.isArray(value) ? value : [value];
    });
}

/** A 2025-era client on raw fetch: initialize, then POSTs in its session, each answer noted with the trail at its arrival. */
class RawSession {
  sessionId = '';
  readonly arrivals: HttpArrival[] = [];
  private readonly fetch: typeof fetch;

  constructor(
    private readonly url: URL,
    logDir: string,
    private readonly authorization?: string,
  ) {
    this.fetch = watchingFetch(logDir, this.arrivals);
  }

  async open(protocolVersion = '2025-03-26'): Promise<void> {
    const init = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-client', version: '1' } },
    });
    assert.equal(init.status, 200, init.text);
    this.sessionId = init.headers.get('mcp-session-id') ?? '';
    assert.ok(this.sessionId, 'the upstream gave a session id through the proxy');
    assert.equal((await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status, 202);
  }

  async post(
    body: unknown,
    sessionId = this.sessionId,
    authorization = this.authorization,
  ): Promise<{ status: number; headers: Headers; text: string; messages: WireMessage[] }> {
    const headers: Record<string, string> = { ...ACCEPT };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    if (authorization) headers['authorization'] = authorization;
    const response = await this.fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const messages = text.trim() === '' || !/json|event-stream/.test(type) ? [] : messagesOf(type, text);
    return { status: response.status, headers: response.headers, text, messages };
  }

  async delete(authorization = this.authorization): Promise<number> {
    const headers: Record<string, string> = { 'mcp-session-id': this.sessionId };
    if (authorization) headers['authorization'] = authorization;
    const response = await fetch(this.url, { method: 'DELETE', headers });
    await response.text();
    return response.status;
  }
}

const toolCall = (id: number | string, name: string, args: object): object => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

test('a JSON-RPC batch over HTTP (2025-03-26, SSE): each tools/call recorded before its answer, the rest passes; exact counts', async () => {
  const logDir = join(makeTempDir('http-proxy-batch'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const session = new RawSession(proxy.url, logDir);
  await session.open('2025-03-26');

  const batch = await session.post([
    toolCall(1, 'echo', { message: 'first of the batch' }),
    { jsonrpc: '2.0', id: 2, method: 'ping' },
    toolCall(3, 'get-sum', { a: 2, b: 40 }),
    toolCall(4, 'no-such-tool', {}),
    { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
  ]);
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.messages.map((message) => message.id).sort(), [1, 2, 3, 4], `one answer per request: ${batch.text}`);
  assert.match(JSON.stringify(batch.messages.find((message) => message.id === 1)), /Echo: first of the batch/);
  assert.match(JSON.stringify(batch.messages.find((message) => message.id === 3)), /42/);

  const calls = toolCalls(readTrail(logDir));
  assert.equal(calls.length, 3, 'one record per tools/call in the batch, none for ping or the notification');
  for (const id of [1, 3, 4]) {
    const arrival = session.arrivals.find((candidate) => candidate.message.id === id);
    assert.ok(arrival, `the answer to ${id} arrived`);
    assert.equal(toolCalls(arrival.trailAtArrival, id).length, 1, `the record of ${id} was on disk when its answer arrived`);
  }
  assert.deepEqual(calls.map((record) => [record.request_id, record.tool_name, record.success]).sort(), [
    ['1', 'echo', true],
    ['3', 'get-sum', true],
    ['4', 'no-such-tool', false],
  ]);
  for (const record of calls) {
    assert.equal(record.session_id, session.sessionId);
    assert.deepEqual(record.client, { name: 'raw-client', version: '1' });
  }

  assert.equal(await session.delete(), 200);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.action),
    ['session_start', 'tool_call', 'tool_call', 'tool_call', 'session_end'],
  );
  verifies(logDir);
});

test('a session used by another principal: 403, an auth_failure naming who tried, nothing reaches the upstream; the owner carries on', async () => {
  const logDir = join(makeTempDir('http-proxy-session-owner'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_AUTH_TOKENS: 'tok-alice-0123456789=alice,tok-bob-9876543210=bob' });
  started.push(upstream.process, proxy.process);
  const alice = new RawSession(proxy.url, logDir, 'Bearer tok-alice-0123456789');
  await alice.open('2025-06-18');
  const bob = 'Bearer tok-bob-9876543210';

  const hijack = await alice.post(toolCall(5, 'echo', { message: 'not yours' }), alice.sessionId, bob);
  assert.equal(hijack.status, 403);
  assert.deepEqual(JSON.parse(hijack.text), {
    jsonrpc: '2.0',
    error: { code: -32001, message: 'Forbidden: session belongs to another principal' },
    id: null,
  });
  assert.equal(await alice.delete(bob), 403, "bob cannot end alice's session either");
  const stream = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': alice.sessionId, authorization: bob } });
  assert.equal(stream.status, 403, 'nor open its GET stream');
  await stream.text();

  const failures = readTrail(logDir).filter((record) => record.action === 'auth_failure');
  assert.equal(failures.length, 3);
  for (const failure of failures) {
    assert.equal(failure.actor, 'bob', 'the record names the principal that tried');
    assert.equal(failure.error, 'session belongs to another principal');
  }
  assert.equal(toolCalls(readTrail(logDir)).length, 0, "bob's call never reached the upstream");
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_end').length, 0, 'the session is still open');

  const echoed = await alice.post(toolCall(6, 'echo', { message: 'mine' }));
  assert.equal(echoed.status, 200);
  assert.match(JSON.stringify(echoed.messages), /Echo: mine/);
  const [call] = toolCalls(readTrail(logDir));
  assert.deepEqual([call?.request_id, call?.actor, call?.session_id, call?.success], ['6', 'alice', alice.sessionId, true]);

  assert.equal(await alice.delete(), 200);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.action),
    ['session_start', 'auth_failure', 'auth_failure', 'auth_failure', 'tool_call', 'session_end'],
  );
  assert.ok(!JSON.stringify(readTrail(logDir)).includes('tok-'), 'no token is written');
  verifies(logDir);
});

const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1' },
};
/** A 2026-07-28 tools/call (no session), its answer noted with the trail at its arrival. */
async function modernCall(
  url: URL,
  arrivals: HttpArrival[],
  logDir: string,
  id: string,
  name: string,
  args: object,
): Promise<{ status: number; text: string; messages: WireMessage[] }> {
  const response = await watchingFetch(logDir, arrivals)(url, {
    method: 'POST',
    headers: { ...ACCEPT, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: modernMeta } }),
  });
  const text = await response.text();
  return { status: response.status, text, messages: messagesOf(response.headers.get('content-type') ?? '', text) };
}

test('fail closed over HTTP: a record that cannot be written turns the answer into a JSON-RPC error, nothing of the result leaks; the gap is recorded once space returns', async () => {
  const logDir = join(makeTempDir('http-proxy-full-disk'), 'logs');
  const upstream = await startUpstream('v2');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const arrivals: HttpArrival[] = [];
  const before = await modernCall(proxy.url, arrivals, logDir, 'before-1', 'greet', { name: 'recorded' });
  assert.match(JSON.stringify(before.messages), /hello recorded/);

  // The proxy's disk fills up right at the end of the day file: its next write fails (support/full-disk.ts).
  const spaceReturns = fillDiskAfter(join(logDir, auditFileNameFor(new Date().toISOString())), proxy.process.child.pid!);
  const withheld = await modernCall(proxy.url, arrivals, logDir, 'lost-1', 'greet', { name: 'SECRET-RESULT-MARKER' });
  assert.equal(withheld.messages.length, 1, withheld.text);
  const [answer] = withheld.messages;
  assert.equal(answer!.id, 'lost-1');
  assert.equal(answer!.result, undefined);
  assert.match(answer!.error?.message ?? '', /^Audit record could not be written \(EFBIG.*\); the result of this call is withheld$/);
  assert.ok(!withheld.text.includes('hello SECRET-RESULT-MARKER'), 'no part of the unaudited result reaches the client');
  await until(() => /audit: unwritten record .*"request_id":"lost-1"/.test(proxy.process.output), 'the unwritten record on stderr');

  spaceReturns();
  const after = await modernCall(proxy.url, arrivals, logDir, 'after-1', 'greet', { name: 'kept' });
  assert.match(JSON.stringify(after.messages), /hello kept/);
  const arrival = arrivals.find((candidate) => candidate.message.id === 'after-1');
  assert.equal(toolCalls(arrival!.trailAtArrival, 'after-1').length, 1, 'recorded before its answer');

  assert.equal(await proxy.process.stop(), 0);
  const records = readTrail(logDir);
  assert.deepEqual(
    records.map((record) => [record.action, record.request_id]),
    [
      ['tool_call', 'before-1'],
      ['audit_gap', null],
      ['tool_call', 'lost-1'],
      ['tool_call', 'after-1'],
    ],
  );
  assert.deepEqual([records[2]!.success, records[2]!.late], [true, true], 'the withheld call: its effect happened, its record written late');
  assert.equal(records[1]!.input_summary['records_not_written'], 1);
  verifies(logDir);
});

test('the body cap over HTTP: 413 with a JSON-RPC error, with or without Content-Length; nothing reaches the upstream, the proxy keeps serving', async () => {
  const logDir = join(makeTempDir('http-proxy-body-cap'), 'logs');
  const upstream = await startUpstream('v2');
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_MAX_BODY_BYTES: '4096' });
  started.push(upstream.process, proxy.process);
  const refusal = { jsonrpc: '2.0', error: { code: -32600, message: 'Request body larger than 4096 bytes (MCP_MAX_BODY_BYTES)' }, id: null };
  const big = JSON.stringify({
    jsonrpc: '2.0',
    id: 'big-1',
    method: 'tools/call',
    params: { name: 'greet', arguments: { name: 'x'.repeat(16_384) }, _meta: modernMeta },
  });

  const declared = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...ACCEPT, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'greet' },
    body: big,
  });
  assert.equal(declared.status, 413);
  assert.deepEqual(await declared.json(), refusal);

  // Chunked, no Content-Length: the cap is met while reading.
  const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      proxy.url,
      { method: 'POST', headers: { ...ACCEPT, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'greet' } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (let start = 0; start < big.length; start += 2048) req.write(big.slice(start, start + 2048));
    req.end();
  });
  assert.equal(chunked.status, 413);
  assert.deepEqual(JSON.parse(chunked.body), refusal);
  assert.equal(toolCalls(readTrail(logDir)).length, 0, 'an oversized request never reaches the upstream, so no call is recorded');

  const arrivals: HttpArrival[] = [];
  const small = await modernCall(proxy.url, arrivals, logDir, 'small-1', 'greet', { name: 'small' });
  assert.equal(small.status, 200);
  assert.match(JSON.stringify(small.messages), /hello small/);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    toolCalls(readTrail(logDir)).map((record) => [record.request_id, record.success]),
    [['small-1', true]],
  );
  verifies(logDir);
});

test('the idle sweep: a session idle past MCP_SESSION_IDLE_TIMEOUT_MS gets its session_end; a call in progress keeps it open', async () => {
  const logDir = join(makeTempDir('http-proxy-idle'), 'logs');
  const upstream = await startUpstream('everything');
  // Long enough that the gaps between this test's own requests never reach it on a loaded machine.
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_SESSION_IDLE_TIMEOUT_MS: '2500' });
  started.push(upstream.process, proxy.process);
  const session = new RawSession(proxy.url, logDir);
  await session.open('2025-06-18');
  // Longer than the idle timeout: an exchange still open is not idle.
  const long = await session.post(toolCall(1, 'trigger-long-running-operation', { duration: 6, steps: 2 }));
  assert.match(JSON.stringify(long.messages), /Long running operation completed/);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_end').length, 0, 'not swept while its call was open');
  const [call] = toolCalls(readTrail(logDir));
  assert.deepEqual([call?.request_id, call?.success, call?.session_id], ['1', true, session.sessionId]);

  await until(() => readTrail(logDir).some((record) => record.action === 'session_end'), 'the idle session to be swept', 60_000);
  const ends = readTrail(logDir).filter((record) => record.action === 'session_end');
  assert.equal(ends.length, 1);
  assert.equal(ends[0]!.session_id, session.sessionId);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    readTrail(logDir).map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
    'ended once: stopping the proxy ends nothing twice',
  );
  verifies(logDir);
});

test('a batch answered in one JSON body: the body waits for every record in it; with the upstream gone, one error per request and a failed record per call', async () => {
  const logDir = join(makeTempDir('http-proxy-json-batch'), 'logs');
  // The upstreams above answer batches in SSE, one event per response. This one, a few lines of our own, answers a
  // batch as one JSON array, as a 2025-03-26 server may: the whole body is held until all of its records are written.
  const jsonUpstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const batch = JSON.parse(body) as Array<{ id?: number; method: string; params?: { name?: string } }>;
      const answers = batch
        .filter((message) => message.id !== undefined)
        .map((message) =>
          message.method === 'tools/call'
            ? { jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: `done ${message.params?.name}` }] } }
            : { jsonrpc: '2.0', id: message.id, result: {} },
        );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers));
    });
  });
  await new Promise<void>((resolve) => jsonUpstream.listen(0, '127.0.0.1', resolve));
  let upstreamClosed = false;
  const closeUpstream = (): Promise<void> => {
    if (upstreamClosed) return Promise.resolve();
    upstreamClosed = true;
    return new Promise<void>((resolve) => jsonUpstream.close(() => resolve()));
  };
  after(closeUpstream);
  const proxy = await startHttpProxy(logDir, `http://127.0.0.1:${(jsonUpstream.address() as AddressInfo).port}/mcp`);
  started.push(proxy.process);
  const client = new RawSession(proxy.url, logDir);

  const batch = [
    toolCall(1, 'alpha', { n: 1 }),
    toolCall(2, 'beta', { n: 2 }),
    { jsonrpc: '2.0', id: 3, method: 'ping' },
    toolCall(4, 'gamma', { n: 3 }),
  ];
  const answered = await client.post(batch, '');
  assert.equal(answered.status, 200, answered.text);
  assert.deepEqual(
    answered.messages.map((message) => message.id),
    [1, 2, 3, 4],
  );
  assert.equal(client.arrivals.length, 4);
  for (const arrival of client.arrivals) {
    assert.equal(
      toolCalls(arrival.trailAtArrival).length,
      3,
      `all three records were on disk when the batch (answer ${String(arrival.message.id)}) arrived`,
    );
  }

  jsonUpstream.closeAllConnections();
  await closeUpstream();
  const refused = await client.post([toolCall(5, 'alpha', {}), { jsonrpc: '2.0', id: 6, method: 'ping' }, toolCall(7, 'beta', {})], '');
  assert.equal(refused.status, 502, refused.text);
  assert.deepEqual(
    refused.messages.map((message) => message.id),
    [5, 6, 7],
    `a batch is answered with a batch, one error per request: ${refused.text}`,
  );
  for (const message of refused.messages) assert.match(message.error?.message ?? '', /the upstream/);
  const failed = toolCalls(readTrail(logDir)).filter((record) => ['5', '7'].includes(record.request_id ?? ''));
  assert.deepEqual(
    failed.map((record) => [record.request_id, record.success]),
    [
      ['5', false],
      ['7', false],
    ],
  );
  for (const record of failed) assert.match(record.error ?? '', /the upstream/);

  assert.equal(await proxy.process.stop(), 0);
  assert.equal(toolCalls(readTrail(logDir)).length, 5);
  verifies(logDir);
});

test('fail closed in a 2025 session: a batch whose records cannot be written gets errors for its calls; an initialize whose session_start cannot be written leaves no session behind (404)', async () => {
  const logDir = join(makeTempDir('http-proxy-full-disk-session'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const first = new RawSession(proxy.url, logDir);
  await first.open('2025-03-26');

  const spaceReturns = fillDiskAfter(join(logDir, auditFileNameFor(new Date().toISOString())), proxy.process.child.pid!);

  const batch = await first.post([
    toolCall(1, 'echo', { message: 'SECRET-ONE' }),
    { jsonrpc: '2.0', id: 2, method: 'ping' },
    toolCall(3, 'echo', { message: 'SECRET-TWO' }),
  ]);
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(batch.messages.map((message) => message.id).sort(), [1, 2, 3]);
  for (const id of [1, 3]) {
    const message = batch.messages.find((candidate) => candidate.id === id)!;
    assert.equal(message.result, undefined);
    assert.match(message.error?.message ?? '', /^Audit record could not be written \(EFBIG.*\); the result of this call is withheld$/);
  }
  assert.deepEqual(batch.messages.find((message) => message.id === 2)?.result, {}, 'the ping, not audited, passes');
  assert.ok(!/Echo: SECRET/.test(batch.text), 'no part of an unaudited result reaches the client');

  const second = new RawSession(proxy.url, logDir);
  const init = await second.post(
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'refused-client', version: '1' } },
    },
    '',
  );
  const refusedId = init.headers.get('mcp-session-id');
  assert.equal(init.messages.length, 1, init.text);
  assert.equal(init.messages[0]!.result, undefined, 'an initialize whose session_start is not written is refused');
  assert.match(init.messages[0]!.error?.message ?? '', /Audit record could not be written \(EFBIG/);

  spaceReturns();
  assert.ok(refusedId, 'the upstream named the session before its start could be recorded');
  const reused = await second.post(toolCall(9, 'echo', { message: 'in a refused session' }), refusedId);
  assert.equal(reused.status, 404, `the refused session is unknown: ${reused.text}`);
  assert.deepEqual(JSON.parse(reused.text), { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
  const echoed = await first.post(toolCall(4, 'echo', { message: 'kept' }));
  assert.match(JSON.stringify(echoed.messages), /Echo: kept/);
  assert.equal(toolCalls(first.arrivals.find((arrival) => arrival.message.id === 4)!.trailAtArrival, 4).length, 1);

  assert.equal(await first.delete(), 200);
  assert.equal(await proxy.process.stop(), 0);
  const records = readTrail(logDir);
  assert.equal(toolCalls(records).length, 3, 'the two withheld calls written late, and the one after');
  assert.deepEqual(
    toolCalls(records)
      .filter((record) => record.late)
      .map((record) => record.request_id)
      .sort(),
    ['1', '3'],
  );
  assert.equal(
    records.filter((record) => record.action === 'tool_call' && record.request_id === '9').length,
    0,
    'nothing ran in the refused session',
  );
  const ofSession = (id: string): Array<[string, boolean]> =>
    records.filter((record) => record.session_id === id).map((record) => [record.action, record.late === true]);
  // Ended by the proxy at once; whether that end met the full disk too (and was written late) is a matter of timing.
  assert.deepEqual(
    ofSession(refusedId).map(([action]) => action),
    ['session_start', 'session_end'],
    'the refused session: its start written late, then ended by the proxy',
  );
  assert.equal(ofSession(refusedId)[0]![1], true);
  assert.deepEqual(ofSession(first.sessionId), [
    ['session_start', false],
    ['tool_call', true],
    ['tool_call', true],
    ['tool_call', false],
    ['session_end', false],
  ]);
  assert.equal(records.filter((record) => record.action === 'audit_gap').length, 1);
  verifies(logDir);
});

test('the idle sweep leaves a session whose GET stream is open; once the stream closes, the session is swept once', async () => {
  const logDir = join(makeTempDir('http-proxy-idle-stream'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url, { MCP_SESSION_IDLE_TIMEOUT_MS: '2500' });
  started.push(upstream.process, proxy.process);
  const session = new RawSession(proxy.url, logDir);
  await session.open('2025-06-18');
  const listening = new AbortController();
  after(() => listening.abort());
  const stream = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': session.sessionId }, signal: listening.signal });
  assert.equal(stream.status, 200);
  // Three idle timeouts with the stream open: the sweep runs at least twice and must leave the session alone.
  await new Promise((resolve) => setTimeout(resolve, 7_500));
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_end').length, 0, 'a session with a stream open is not idle');
  const echoed = await session.post(toolCall(1, 'echo', { message: 'still here' }));
  assert.match(JSON.stringify(echoed.messages), /Echo: still here/);

  listening.abort();
  await until(() => readTrail(logDir).some((record) => record.action === 'session_end'), 'the session to be swept once its stream closed', 60_000);
  assert.equal(await proxy.process.stop(), 0);
  assert.deepEqual(
    readTrail(logDir).map((record) => [record.action, record.session_id]),
    [
      ['session_start', session.sessionId],
      ['tool_call', session.sessionId],
      ['session_end', session.sessionId],
    ],
  );
  verifies(logDir);
});

test('an upstream cut off in the middle of an SSE answer in a session: an error event for the call on the same stream, and a failed record naming the cause', async () => {
  const logDir = join(makeTempDir('http-proxy-sse-cut'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url);
  started.push(upstream.process, proxy.process);
  const session = new RawSession(proxy.url, logDir);
  await session.open();

  const call = {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 30 }, _meta: { progressToken: 'cut' } },
  };
  const response = await fetch(proxy.url, {
    method: 'POST',
    headers: { ...ACCEPT, 'mcp-session-id': session.sessionId },
    body: JSON.stringify(call),
  });
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  // Read the stream until the first progress event has passed, then kill the upstream in the middle of its answer.
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('notifications/progress')) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the stream ended before any progress: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  await upstream.process.stop('SIGKILL');
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value, { stream: true });

  const cause = 'the upstream closed the connection in the middle of its answer';
  const answer = messagesOf('text/event-stream', text).find((message) => message.id === 7);
  assert.deepEqual(answer?.error, { code: -32603, message: cause }, `the call is answered with an error on its stream: ${text}`);
  const [record] = toolCalls(readTrail(logDir), 7);
  assert.deepEqual([record?.success, record?.error], [false, cause]);
  assert.equal(await proxy.process.stop(), 0);
  verifies(logDir);
});
