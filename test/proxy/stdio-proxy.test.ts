import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifies } from '../support/cli.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { callRecords, initializeParams, PYTHON_SERVER, WireProxy, type Arrival } from '../support/wire-proxy.js';

function text(arrival: Arrival): string {
  const result = (arrival.message as { result?: { content?: Array<{ text?: string }> } }).result;
  return result?.content?.[0]?.text ?? '';
}

test('a Python server behind the proxy: each call recorded once, before its response reaches the client', async () => {
  const logDir = join(makeTempDir('proxy-python'), 'logs');
  const proxy = new WireProxy(logDir, [...PYTHON_SERVER, '--banner']);

  proxy.request(0, 'initialize', initializeParams('wire-test', '1.0.0'));
  const initialized = await proxy.response(0);
  assert.equal(initialized.trailAtArrival.filter((record) => record.action === 'session_start').length, 1);
  proxy.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  proxy.request(1, 'tools/list');
  await proxy.response(1);

  // `1` and "1" are two requests; the slow one is answered last (out of order).
  proxy.call(2, 'slow', { ms: 300, text: 'numeric two' });
  proxy.call('2', 'echo', { text: 'string two', smuggled: 'not declared' });
  const stringTwo = await proxy.response('2');
  const numericTwo = await proxy.response(2);
  assert.ok(proxy.arrivals.indexOf(stringTwo) < proxy.arrivals.indexOf(numericTwo), 'the fast call is answered first');
  assert.equal(text(stringTwo), 'string two');
  assert.equal(text(numericTwo), 'numeric two');
  const [echoRecord] = stringTwo.trailAtArrival.filter((record) => record.tool_name === 'echo');
  assert.deepEqual(echoRecord?.input_summary, { text: 'string two' }, 'only declared fields are kept');
  assert.equal(numericTwo.trailAtArrival.filter((record) => record.tool_name === 'slow').length, 1);

  proxy.call(3, 'login', { user: 'ada', password: 'hunter2-very-secret' });
  proxy.call(4, 'fail', { text: 'bad input' });
  proxy.call(5, 'rpc_error', { code: -32001 });
  proxy.call(6, 'no_such_tool', {});
  proxy.call(7, 'noisy', { text: 'after the noise' });
  const [login, fail, rpcError, unknown, noisy] = await Promise.all([3, 4, 5, 6, 7].map((id) => proxy.response(id)));
  for (const [arrival, id] of [
    [login, 3],
    [fail, 4],
    [rpcError, 5],
    [unknown, 6],
    [noisy, 7],
  ] as const) {
    assert.equal(callRecords(arrival!.trailAtArrival, id).length, 1, `record of call ${id} written before its response arrived`);
  }
  const trail = readTrail(logDir);
  const record = (id: number) => callRecords(trail, id)[0]!;
  assert.deepEqual(record(3).input_summary, { user: 'ada', password: '[REDACTED]' });
  assert.equal(record(3).redacted, true);
  assert.ok(!JSON.stringify(trail).includes('hunter2'));
  assert.deepEqual([record(4).success, record(4).error], [false, 'failed on purpose: bad input']);
  assert.deepEqual([record(5).success, record(5).error], [false, 'MCP error -32001: tool refused by the server']);
  assert.deepEqual(
    [record(6).success, record(6).tool_name, record(6).error],
    [false, 'no_such_tool', 'MCP error -32602: Unknown tool: no_such_tool'],
  );
  assert.equal(record(7).success, true);
  assert.equal(text(noisy!), 'after the noise');
  assert.match(proxy.stderr, /dropped a line on the server's stdout that is not JSON-RPC: "debug: about to answer after the noise"/);
  assert.match(proxy.stderr, /not JSON-RPC: "stdlib server starting/, 'the banner printed before any call is dropped too');
  assert.ok(!proxy.arrivals.some((arrival) => JSON.stringify(arrival.message).includes('debug: about')), 'noise never reaches the client');

  assert.equal(await proxy.close(), 0);
  const final = readTrail(logDir);
  assert.equal(final.filter((r) => r.action === 'tool_call').length, 7);
  assert.equal(final.filter((r) => r.action === 'session_end').length, 1);
  for (const r of final) {
    assert.equal(r.transport, 'stdio');
    assert.equal(r.service, 'stdlib_mcp_server');
    assert.deepEqual(r.client, { name: 'wire-test', version: '1.0.0' });
  }
  assert.equal(final.find((r) => r.action === 'tool_call')?.protocol_version, '2025-06-18');
  verifies(logDir);
});

test('batches, a reused id, a cancellation with a late answer and a caller traceparent', async () => {
  const logDir = join(makeTempDir('proxy-wire-edges'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();

  // A batch (protocol 2025-03-26): its answer is held until every record in it is written.
  proxy.send([
    { jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'echo', arguments: { text: 'in a batch' } } },
    { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } },
    { jsonrpc: '2.0', id: 12, method: 'ping' },
    { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'x', progress: 1 } },
  ]);
  await proxy.until(() => proxy.arrivals.some((arrival) => Array.isArray(arrival.message)), 'the batch answer');
  const batch = proxy.arrivals.find((arrival) => Array.isArray(arrival.message))!;
  assert.equal((batch.message as unknown[]).length, 3);
  assert.equal(callRecords(batch.trailAtArrival, 10).length, 1);
  assert.equal(callRecords(batch.trailAtArrival, 11).length, 1);

  // The same id twice while the first is pending: a protocol violation, recorded; neither call is lost.
  proxy.call(20, 'slow', { ms: 150, text: 'first' });
  proxy.call(20, 'slow', { ms: 300, text: 'second' });
  await proxy.until(() => proxy.arrivals.filter((arrival) => (arrival.message as { id?: unknown }).id === 20).length === 2, 'both answers to id 20');
  const twenties = proxy.arrivals.filter((arrival) => (arrival.message as { id?: unknown }).id === 20);
  assert.deepEqual(twenties.map(text), ['first', 'second']);
  assert.equal(callRecords(twenties[0]!.trailAtArrival, 20).length, 1);
  assert.equal(callRecords(twenties[1]!.trailAtArrival, 20).length, 2);
  // Answers are matched oldest first: each record pairs a call's own input with its own answer.
  assert.deepEqual(
    callRecords(twenties[1]!.trailAtArrival, 20).map((record) => [record.input_summary['text'], record.result_summary]),
    [
      ['first', 'text (5 chars)'],
      ['second', 'text (6 chars)'],
    ],
  );
  const violation = readTrail(logDir).filter((record) => record.action === 'protocol_violation');
  assert.equal(violation.length, 1);
  assert.equal(violation[0]!.request_id, '20');
  assert.match(violation[0]!.error ?? '', /reused while a request with that id is pending/);

  // Cancelled: recorded once as failed when the cancellation passes; the late answer passes with no second record.
  proxy.call(30, 'slow', { ms: 400, text: 'too late' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  proxy.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 30, reason: 'user pressed stop' } });
  const late = await proxy.response(30);
  assert.equal(text(late), 'too late');
  const cancelled = callRecords(readTrail(logDir), 30);
  assert.equal(cancelled.length, 1);
  assert.deepEqual([cancelled[0]!.success, cancelled[0]!.error], [false, 'cancelled by the client: user pressed stop']);

  // A traceparent in params._meta makes the caller's span the parent.
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  proxy.call(40, 'echo', { text: 'traced' }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  const traced = await proxy.response(40);
  assert.equal(callRecords(traced.trailAtArrival, 40)[0]?.trace_id, traceId);

  assert.equal(await proxy.close(), 0);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'tool_call').length, 6);
  verifies(logDir);
});

test("the 2026-07-28 era: no initialize, the client and protocol version from each request's _meta", async () => {
  const logDir = join(makeTempDir('proxy-stateless'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  const meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'stateless-client', version: '9.1' },
  };
  proxy.request(1, 'tools/list', { _meta: meta });
  await proxy.response(1);
  proxy.call(2, 'add', { a: 1, b: 1 }, meta);
  const answer = await proxy.response(2);
  const [record] = callRecords(answer.trailAtArrival, 2);
  assert.deepEqual(record?.client, { name: 'stateless-client', version: '9.1' });
  assert.equal(record?.protocol_version, '2026-07-28');
  assert.deepEqual(record?.input_summary, { a: 1, b: 1 });
  assert.equal(await proxy.close(), 0);
  assert.equal(
    readTrail(logDir).filter((r) => r.action === 'session_start' || r.action === 'session_end').length,
    0,
    'no session in the stateless era',
  );
  verifies(logDir);
});

test('messages of tens of MiB pass intact both ways; the record keeps a truncated summary', async () => {
  const logDir = join(makeTempDir('proxy-large'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  const size = 24 * 1024 * 1024;
  proxy.call(2, 'echo', { text: 'y'.repeat(size) });
  proxy.call(3, 'big', { size });
  const [echoed, big] = [await proxy.response(2, 60_000), await proxy.response(3, 60_000)];
  assert.equal(text(echoed).length, size);
  assert.equal(text(big), 'x'.repeat(size));
  const [record] = callRecords(echoed.trailAtArrival, 2);
  assert.equal(record?.truncated, true);
  assert.match(String(record?.input_summary['text']), /^y{256}\.\.\.\[truncated \d+ chars\]$/);
  proxy.call(4, 'echo', { text: 'still serving' });
  assert.equal(text(await proxy.response(4)), 'still serving');
  assert.equal(await proxy.close(), 0);
  verifies(logDir);
});
