import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditedHttpServers } from '../support/audited-http-server.js';
import { INITIALIZE, openSocket, rawRequest, within } from '../support/raw-http.js';

const { sessionServers, start } = auditedHttpServers('http-slow-clients');

const TIMEOUTS = { requestTimeoutMs: 800, headersTimeoutMs: 400 };

test('a client that sends its headers or its body too slowly gets 408 and loses the connection', async () => {
  const slow = await start(TIMEOUTS);
  const silent = await openSocket(slow.port); // connects and sends nothing
  const headers = await openSocket(slow.port);
  headers.socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // and never the blank line
  const body = await openSocket(slow.port);
  body.socket.write(
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${INITIALIZE.length}\r\n\r\n`,
  );
  // One byte every 100 ms: each write is activity, but the whole request is late.
  const drip = setInterval(() => body.socket.writable && body.socket.write(INITIALIZE[0]!), 100);
  try {
    assert.equal(
      await within(
        headers.closed.then(() => 'closed'),
        5_000,
        'still open',
      ),
      'closed',
    );
    assert.equal(
      await within(
        body.closed.then(() => 'closed'),
        5_000,
        'still open',
      ),
      'closed',
    );
    assert.equal(
      await within(
        silent.closed.then(() => 'closed'),
        5_000,
        'still open',
      ),
      'closed',
    );
  } finally {
    clearInterval(drip);
  }
  assert.match(headers.received(), /^HTTP\/1\.1 408 /);
  assert.match(body.received(), /^HTTP\/1\.1 408 /);
  assert.match(silent.received(), /^HTTP\/1\.1 408 /);
});

test('an SSE stream outlives the request timeout: only receiving a request is timed, not the answer', async () => {
  const slow = await start(TIMEOUTS);
  const opened = await rawRequest(slow.port, { body: INITIALIZE });
  const sessionId = String(opened.headers['mcp-session-id']);
  const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
  assert.equal(
    (await rawRequest(slow.port, { headers: session, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).status,
    202,
  );
  const stream = await new Promise<IncomingMessage>((resolve, reject) => {
    const get = request(
      { host: '127.0.0.1', port: slow.port, path: '/mcp', method: 'GET', agent: false, headers: { accept: 'text/event-stream', ...session } },
      resolve,
    );
    get.on('error', reject);
    get.end();
  });
  assert.equal(stream.statusCode, 200);
  let received = '';
  stream.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  await sleep(TIMEOUTS.requestTimeoutMs * 2.5);
  // Still open, and the server can still push on it: a tool registered now announces itself there.
  assert.equal(
    await within(
      ended.then(() => 'closed'),
      0,
      'open',
    ),
    'open',
  );
  sessionServers.at(-1)!.registerTool('late', { inputSchema: {} }, () => ({ content: [] }));
  const deadline = Date.now() + 5_000;
  while (!received.includes('notifications/tools/list_changed') && Date.now() < deadline) await sleep(20);
  assert.match(received, /notifications\/tools\/list_changed/);
  assert.equal((await rawRequest(slow.port, { method: 'DELETE', headers: session, body: '' })).status, 200);
  assert.equal(
    await within(
      ended.then(() => 'closed'),
      5_000,
      'open',
    ),
    'closed',
  );
});

test('past MCP_MAX_CONNECTIONS a request gets 503 with Retry-After; past twice that a connection is dropped at once', async () => {
  const capped = await start({ maxConnections: 2 });
  const idle = [await openSocket(capped.port), await openSocket(capped.port)];
  const refused = await rawRequest(capped.port, { body: INITIALIZE });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '5');
  assert.equal(refused.headers['connection'], 'close');
  assert.match(JSON.parse(refused.body).error.message, /MCP_MAX_CONNECTIONS/);
  idle.push(await openSocket(capped.port), await openSocket(capped.port));
  const dropped = await openSocket(capped.port);
  dropped.socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`);
  assert.equal(
    await within(
      dropped.closed.then(() => 'closed'),
      5_000,
      'open',
    ),
    'closed',
  );
  assert.equal(dropped.received(), '');
  for (const { socket } of idle) socket.destroy();
  await Promise.all(idle.map(({ closed }) => closed));
  await sleep(50); // the server sees the closes a moment after the client
  assert.equal((await rawRequest(capped.port, { body: INITIALIZE })).status, 200);
});

test('an idle keep-alive connection is closed after MCP_KEEP_ALIVE_TIMEOUT_MS', async () => {
  const server = await start({ keepAliveTimeoutMs: 200 });
  const connection = await openSocket(server.port);
  connection.socket.write(`GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  assert.equal(
    await within(
      connection.closed.then(() => 'closed'),
      3_000,
      'open',
    ),
    'closed',
  );
  assert.match(connection.received(), /^HTTP\/1\.1 404 /);
});
