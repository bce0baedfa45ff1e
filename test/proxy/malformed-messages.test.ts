import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AuditRecord } from '../../src/index.js';
import { verifies } from '../support/cli.js';
import { startHttpProxy } from '../support/http-wire.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { trailNow } from '../support/wire-proxy.js';
import { PYTHON_SERVER, WireProxy, type Arrival, type WireMessage } from '../support/wire-proxy.js';

// The Python fixture reads with Python's json, which is more lenient than JSON.parse and the MCP schema: every line
// below is a call it would run. The proxy must not pass on what it cannot read exactly as the server will.
const call = (id: unknown, text: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } });
const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function errorOf(arrival: Arrival): { id: unknown; code: number } {
  const message = arrival.message as WireMessage;
  assert.ok(message.error, `an error answer: ${JSON.stringify(message)}`);
  return { id: message.id, code: message.error.code };
}

function refusedCallRecord(trail: AuditRecord[], requestId: string): AuditRecord | undefined {
  return trail.find((record) => record.action === 'tool_call' && record.request_id === requestId && !record.success);
}

test('stdio: what a lenient server would run but the proxy cannot read is refused, recorded before its answer, and never reaches the server', async () => {
  const logDir = join(makeTempDir('proxy-malformed'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  const before = proxy.arrivals.length;

  proxy.send(line([call(7, 'batch member'), 42])); // a batch with one member that is no message
  proxy.send(line({ id: 11, method: 'tools/call', params: { name: 'echo', arguments: { text: 'no jsonrpc' } } }));
  proxy.send(line({ ...call(12, 'jsonrpc 1.0'), jsonrpc: '1.0' }));
  proxy.send(line(call(13, 'x')).replace('"x"', 'NaN')); // Python's json reads NaN
  proxy.child.stdin.write(Buffer.concat([BOM, Buffer.from(line(call(14, 'after a BOM')))])); // Python reads utf-8-sig
  proxy.send(line(call(0, 'big id')).replace('"id":0', '"id":9007199254740993')); // JSON.parse rounds it to ...992
  proxy.send(line(call([15], 'array id')));
  const [head, tail] = line(call(16, 'MARK')).split('MARK') as [string, string];
  proxy.child.stdin.write(Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from(tail)])); // a byte that is not UTF-8
  proxy.send(line([]));
  proxy.call(20, 'echo', { text: 'a well-formed call after them' });

  const answered = await proxy.response(20);
  assert.match(JSON.stringify(answered.message), /a well-formed call after them/, 'the connection goes on');
  await proxy.until(() => proxy.arrivals.length === before + 10, 'an answer to every refused line');
  const refusals = proxy.arrivals.slice(before).filter((arrival) => arrival !== answered);
  assert.equal(refusals.length, 9);

  // The batch: one answer per member, each naming its problem.
  const batch = refusals.find((arrival) => Array.isArray(arrival.message))!;
  assert.deepEqual(
    (batch.message as WireMessage[]).map((message) => [message.id, message.error?.code]),
    [
      [7, -32600],
      [null, -32600],
    ],
  );
  const singles = refusals.filter((arrival) => arrival !== batch).map(errorOf);
  assert.deepEqual(
    singles.map((error) => JSON.stringify(error)).sort(),
    [
      { id: 11, code: -32600 },
      { id: 12, code: -32600 },
      { id: null, code: -32700 }, // NaN
      { id: null, code: -32700 }, // BOM
      { id: null, code: -32600 }, // an id past 2^53
      { id: null, code: -32600 }, // an array id
      { id: null, code: -32700 }, // not UTF-8
      { id: null, code: -32600 }, // an empty batch
    ]
      .map((error) => JSON.stringify(error))
      .sort(),
  );

  // Each refused tools/call has its failed record, in the trail before its answer arrived.
  assert.ok(refusedCallRecord(batch.trailAtArrival, '7'), 'the batch member recorded before the answer');
  for (const [id, why] of [
    ['11', /"jsonrpc" must be "2.0"/],
    ['12', /"jsonrpc" must be "2.0"/],
    ['9007199254740992', /"id" must be a string or an integer/],
    ['[15]', /"id" must be a string or an integer/],
  ] as const) {
    const arrival = refusals.find((candidate) => refusedCallRecord(candidate.trailAtArrival, id) !== undefined);
    assert.ok(arrival, `the record of the call with id ${id} precedes an answer`);
    assert.match(refusedCallRecord(arrival.trailAtArrival, id)!.error ?? '', why);
  }

  assert.equal(await proxy.close(), 0);
  const trail = readTrail(logDir);
  // Nothing of them reached the server: the only call it answered is the last one.
  assert.deepEqual(
    trail.filter((record) => record.action === 'tool_call' && record.success).map((record) => record.request_id),
    ['20'],
  );
  assert.equal(trail.filter((record) => record.action === 'tool_call' && !record.success).length, 5, 'ids 7, 11, 12, 2^53 and [15]');
  const violations = trail.filter((record) => record.action === 'protocol_violation');
  assert.equal(violations.length, 5, 'the batch member 42, NaN, the BOM, the bytes that are not UTF-8 and the empty batch');
  assert.equal(violations.filter((record) => /Parse error/.test(record.error ?? '')).length, 3);
  assert.match(proxy.stderr, /refused a message from the client: Parse error: the message is not valid UTF-8/);
  verifies(logDir);
});

test('HTTP: a body the upstream would decode or read leniently (gzip, UTF-16, a BOM, NaN, a bad batch member) is refused with a record and never forwarded', async () => {
  const logDir = join(makeTempDir('http-proxy-malformed'), 'logs');
  // A few lines of our own, as lenient as an Express app with express.json() and a forgiving parser: it inflates,
  // honours the charset, skips a BOM, reads NaN, and runs every tools/call it finds. It counts what reached it.
  const reached: string[] = [];
  const upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = (/utf-16le/i.test(req.headers['content-type'] ?? '') ? body.toString('utf16le') : body.toString('utf8')).replace(/^\uFEFF/, '');
      reached.push(text);
      const parsed = JSON.parse(text.replace(/NaN/g, 'null')) as { id?: number } | Array<{ id?: number }>;
      const answer = (message: { id?: number }) => ({ jsonrpc: '2.0', id: message.id ?? null, result: { content: [{ type: 'text', text: 'ran' }] } });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const proxy = await startHttpProxy(logDir, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`);
  after(() => proxy.process.stop());

  const post = async (body: Buffer | string, headers: Record<string, string> = {}) => {
    const response = await fetch(proxy.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body,
    });
    const trailAtArrival = trailNow(logDir);
    return { status: response.status, answer: (await response.json()) as WireMessage | WireMessage[], trailAtArrival };
  };
  const cases: Array<{ what: string; status: number; body: Buffer | string; headers: Record<string, string>; code: number }> = [
    { what: 'gzip', status: 415, body: gzipSync(line(call(1, 'gzipped'))), headers: { 'content-encoding': 'gzip' }, code: -32700 },
    {
      what: 'UTF-16',
      status: 415,
      body: Buffer.from(line(call(2, 'utf-16')), 'utf16le'),
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      code: -32700,
    },
    { what: 'a BOM', status: 400, body: Buffer.concat([BOM, Buffer.from(line(call(3, 'bom')))]), headers: {}, code: -32700 },
    { what: 'NaN', status: 400, body: line(call(4, 'x')).replace('"x"', 'NaN'), headers: {}, code: -32700 },
    { what: 'no jsonrpc', status: 400, body: line({ id: 5, method: 'tools/call', params: { name: 'echo' } }), headers: {}, code: -32600 },
  ];
  for (const { what, status, body, headers, code } of cases) {
    const refused = await post(body, headers);
    assert.equal(refused.status, status, what);
    assert.equal((refused.answer as WireMessage).error?.code, code, `${what}: ${JSON.stringify(refused.answer)}`);
    const recorded = refused.trailAtArrival.filter((record) => record.action === 'protocol_violation' || record.action === 'tool_call');
    assert.equal(recorded.length, cases.indexOf(cases.find((c) => c.what === what)!) + 1, `${what}: its record is in the trail before its answer`);
  }
  const batch = await post(line([call(6, 'batch member'), 42]));
  assert.equal(batch.status, 400);
  assert.deepEqual(
    (batch.answer as WireMessage[]).map((message) => [message.id, message.error?.code]),
    [
      [6, -32600],
      [null, -32600],
    ],
  );
  assert.ok(refusedCallRecord(batch.trailAtArrival, '6'), 'the batch member recorded before the answer');
  assert.deepEqual(reached, [], 'nothing refused reached the upstream');

  const passed = await post(line(call(7, 'well formed')));
  assert.equal(passed.status, 200);
  assert.equal(reached.length, 1);
  assert.ok(passed.trailAtArrival.some((record) => record.action === 'tool_call' && record.request_id === '7' && record.success));
  assert.equal(await proxy.process.stop(), 0);
  const trail = readTrail(logDir);
  assert.deepEqual(
    trail.filter((record) => record.action === 'tool_call').map((record) => [record.request_id, record.success]),
    [
      ['5', false],
      ['6', false],
      ['7', true],
    ],
  );
  assert.equal(trail.filter((record) => record.action === 'protocol_violation').length, 5, 'gzip, UTF-16, the BOM, NaN and the member 42');
  verifies(logDir);
});

test('stdio: a server that answers 1 as "1": the answer is dropped with a record, never passed for the client to take as its own', async () => {
  const logDir = join(makeTempDir('proxy-string-ids'), 'logs');
  const proxy = new WireProxy(logDir, [...PYTHON_SERVER, '--string-ids']);
  proxy.request('init', 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'wire-test', version: '1' } });
  await proxy.response('init'); // a string id comes back as it was sent
  proxy.call(1, 'echo', { text: 'answered as "1"' });
  await proxy.until(() => /dropped a response on the server's stdout/.test(proxy.stderr), 'the dropped answer on stderr');
  assert.equal(await proxy.close(), 0);
  assert.equal(
    proxy.arrivals.length,
    2,
    `only the initialize answer and the error for the unanswered call: ${JSON.stringify(proxy.arrivals.map((a) => a.message))}`,
  );
  const trail = readTrail(logDir);
  const violation = trail.find((record) => record.action === 'protocol_violation');
  assert.match(violation?.error ?? '', /the server answered id 1, which no pending request has: dropped/);
  // The call is recorded as the client saw it: never answered.
  const [call] = trail.filter((record) => record.action === 'tool_call');
  assert.equal(call?.success, false);
  assert.match(call?.error ?? '', /before answering/);
  verifies(logDir);
});

test('stdio: an id reused after its request was cancelled is a protocol violation: a late answer to the first would be taken for the second', async () => {
  const logDir = join(makeTempDir('proxy-reuse-after-cancel'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  proxy.call(50, 'slow', { ms: 400, text: 'cancelled' });
  proxy.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 50 } });
  proxy.call(50, 'echo', { text: 'the same id again' });
  const answer = await proxy.response(50);
  assert.match(JSON.stringify(answer.message), /the same id again/);
  const violations = answer.trailAtArrival.filter((record) => record.action === 'protocol_violation');
  assert.equal(violations.length, 1);
  assert.match(violations[0]!.error ?? '', /request id 50 reused after that request was cancelled/);
  assert.equal(await proxy.close(), 0);
  verifies(logDir);
});

test('HTTP: an upstream that answers 7 as "7": the answer is dropped with a record, and the client gets an error its call is recorded with', async () => {
  const logDir = join(makeTempDir('http-proxy-string-ids'), 'logs');
  // A few lines of our own: a careless upstream without sessions that echoes every id as a string.
  const upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number };
      if (message.id === undefined) return void res.writeHead(202).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: String(message.id), result: { content: [{ type: 'text', text: 'ran' }] } }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));
  const proxy = await startHttpProxy(logDir, `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`);
  after(() => proxy.process.stop());

  const response = await fetch(proxy.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(call(7, 'answered as "7"')),
  });
  assert.equal(response.status, 502);
  const answer = (await response.json()) as WireMessage;
  assert.equal(answer.id, 7);
  assert.match(answer.error?.message ?? '', /responses to no request it was sent/);
  assert.equal(await proxy.process.stop(), 0);
  const trail = readTrail(logDir);
  assert.match(trail.find((record) => record.action === 'protocol_violation')?.error ?? '', /the server answered id 7, which no pending request has/);
  const [recorded] = trail.filter((record) => record.action === 'tool_call');
  assert.deepEqual([recorded?.request_id, recorded?.success], ['7', false], 'recorded as the client saw it: failed');
  verifies(logDir);
});
