import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startHttpProxy, startUpstream, toolCalls, stoppedAfterAll } from '../support/http-wire.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const started = stoppedAfterAll();

const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const call = (url: URL, id: string, name: string, args: object): Promise<Response> =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: meta } }),
  });

test('an upstream slower than --timeout-ms: 504, a JSON-RPC error and a failed record', async () => {
  const logDir = join(makeTempDir('http-proxy-timeout'), 'logs');
  const upstream = await startUpstream('v2');
  // Far apart, so that a loaded machine cannot make the quick call miss the timeout or the slow one meet it.
  const proxy = await startHttpProxy(logDir, upstream.url, {}, ['--timeout-ms', '2000']);
  started.push(upstream.process, proxy.process);
  const answer = await call(proxy.url, 'slow-1', 'slow', { ms: 30_000 });
  assert.equal(answer.status, 504);
  assert.deepEqual(await answer.json(), {
    jsonrpc: '2.0',
    id: 'slow-1',
    error: { code: -32603, message: 'the upstream did not answer within 2000 ms' },
  });
  const [record] = toolCalls(readTrail(logDir), 'slow-1');
  assert.deepEqual([record?.success, record?.error], [false, 'the upstream did not answer within 2000 ms']);
  const quick = await call(proxy.url, 'greet-1', 'greet', { name: 'in time' });
  assert.equal(quick.status, 200);
  assert.equal(toolCalls(readTrail(logDir)).length, 2);
});

test('an upstream that answers garbage: 502, a JSON-RPC error naming it and a failed record; the proxy keeps serving', async () => {
  const logDir = join(makeTempDir('http-proxy-garbage'), 'logs');
  const garbage = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not JSON-RPC</html>'));
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
  const proxy = await startHttpProxy(logDir, `http://127.0.0.1:${(garbage.address() as AddressInfo).port}/mcp`);
  started.push(proxy.process);
  for (const id of ['g-1', 'g-2']) {
    const answer = await call(proxy.url, id, 'greet', { name: 'x' });
    assert.equal(answer.status, 502);
    const body = (await answer.json()) as { id: string; error: { message: string } };
    assert.equal(body.id, id);
    assert.match(body.error.message, /not JSON-RPC/);
    assert.equal(toolCalls(readTrail(logDir), id)[0]?.success, false, 'recorded before the answer');
  }
});
