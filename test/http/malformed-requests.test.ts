import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/index.js';
import { auditedHttpServers } from '../support/audited-http-server.js';
import { fillDisk } from '../support/full-disk.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';
import { readTrail } from '../support/trail-files.js';

interface Answer {
  id: unknown;
  result?: { content?: Array<{ text?: string }>; isError?: boolean };
  error?: { code: number; message: string };
}

const servers = auditedHttpServers('http-malformed');

/** The JSON-RPC answer in a response, whether a JSON body or the data of an SSE event. */
function answerOf(response: RawResponse): Answer | Answer[] {
  if (String(response.headers['content-type']).includes('text/event-stream')) {
    const data = response.body.split('\n').find((line) => line.startsWith('data: {'));
    return JSON.parse(data!.slice('data: '.length)) as Answer;
  }
  return JSON.parse(response.body) as Answer | Answer[];
}

async function openSession(port: number): Promise<Record<string, string>> {
  const initialized = await rawRequest(port, {});
  assert.equal(initialized.status, 200, initialized.body);
  const sessionId = initialized.headers['mcp-session-id'];
  assert.equal(typeof sessionId, 'string');
  return { 'mcp-session-id': sessionId as string, 'mcp-protocol-version': '2025-06-18' };
}

const call = (id: unknown, params: unknown): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/call', params });
const recordsOf = (trail: AuditRecord[], requestId: string) =>
  trail.filter((record) => record.action === 'tool_call' && record.request_id === requestId);

test('a tools/call the SDK would refuse with no record (params null, a string, an array, a bad id) is recorded before its JSON-RPC error', async () => {
  const { port } = await servers.start({});
  const session = await openSession(port);
  const cases = [
    { body: call(1, null), code: -32602, id: 1, requestId: '1' },
    { body: call('two', 'echo'), code: -32602, id: 'two', requestId: 'two' },
    { body: call(3, [{ name: 'echo' }]), code: -32602, id: 3, requestId: '3' },
    { body: call(true, { name: 'echo', arguments: { text: 'hi' } }), code: -32600, id: null, requestId: 'true' },
  ];
  for (const { body, code, id, requestId } of cases) {
    const response = await rawRequest(port, { body: JSON.stringify(body), headers: session });
    const trail = readTrail(servers.logDir);
    assert.equal(response.status, 400);
    const answer = answerOf(response) as Answer;
    assert.equal(answer.id, id);
    assert.equal(answer.error?.code, code);
    const records = recordsOf(trail, requestId);
    assert.equal(records.length, 1, `one record of request ${requestId} when the answer arrives`);
    assert.equal(records[0]!.success, false);
    assert.equal(records[0]!.error, answer.error?.message);
    assert.equal(records[0]!.session_id, session['mcp-session-id']);
    assert.equal(records[0]!.transport, 'streamable-http');
  }
  const next = await rawRequest(port, { body: JSON.stringify(call(5, { name: 'echo', arguments: { text: 'still here' } })), headers: session });
  assert.equal((answerOf(next) as Answer).result?.content?.[0]?.text, 'still here');
});

test('a batch with one malformed tools/call is refused whole: every request in it is answered with an error and recorded', async () => {
  const { port } = await servers.start({});
  const session = await openSession(port);
  const body = [call(10, { name: 'echo', arguments: { text: 'fine' } }), call(11, null)];
  const response = await rawRequest(port, { body: JSON.stringify(body), headers: session });
  const trail = readTrail(servers.logDir);
  assert.equal(response.status, 400);
  const answers = answerOf(response) as Answer[];
  assert.deepEqual(
    answers.map((answer) => [answer.id, answer.error?.code]),
    [
      [10, -32600],
      [11, -32602],
    ],
  );
  assert.equal(recordsOf(trail, '10').length, 1);
  assert.equal(recordsOf(trail, '11').length, 1);
});

test('a 24 MiB tools/call under a 32 MiB cap is recorded truncated and answered; the next call is served', async () => {
  const { port } = await servers.start({ maxBodyBytes: 32 * 1024 * 1024 });
  const session = await openSession(port);
  const text = 'x'.repeat(24 * 1024 * 1024);
  const response = await rawRequest(port, { body: JSON.stringify(call(20, { name: 'echo', arguments: { text } })), headers: session });
  const trail = readTrail(servers.logDir);
  assert.equal(response.status, 200);
  assert.equal((answerOf(response) as Answer).result?.content?.[0]?.text?.length, text.length);
  const [record] = recordsOf(trail, '20');
  assert.ok(record, 'the record is in the trail when the answer arrives');
  assert.equal(record.truncated, true);
  assert.ok(JSON.stringify(record).length < 16 * 1024);
  const next = await rawRequest(port, { body: JSON.stringify(call(21, { name: 'echo', arguments: { text: 'next' } })), headers: session });
  assert.equal((answerOf(next) as Answer).result?.content?.[0]?.text, 'next');
});

test('a 24 MiB body over the default cap is refused 413 with a JSON-RPC error, once a protocol_violation record names its size', async () => {
  const { port } = await servers.start({});
  const session = await openSession(port);
  const body = JSON.stringify(call(30, { name: 'echo', arguments: { text: 'x'.repeat(24 * 1024 * 1024) } }));
  const response = await rawRequest(port, { body, headers: session });
  const trail = readTrail(servers.logDir);
  assert.equal(response.status, 413);
  assert.equal((answerOf(response) as Answer).error?.code, -32600);
  const refusals = trail.filter((record) => record.action === 'protocol_violation' && record.session_id === session['mcp-session-id']);
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]!.input_summary['body_bytes'], Buffer.byteLength(body));
  assert.match(refusals[0]!.error ?? '', /larger than MCP_MAX_BODY_BYTES/);
  const next = await rawRequest(port, { body: JSON.stringify(call(31, { name: 'echo', arguments: { text: 'next' } })), headers: session });
  assert.equal((answerOf(next) as Answer).result?.content?.[0]?.text, 'next');
});

test('a malformed tools/call whose record cannot be written is answered with the audit failure, still naming what was wrong', async (t) => {
  const { port } = await servers.start({});
  const session = await openSession(port);
  const spaceReturns = fillDisk(0); // every write of this process fails, as on a full disk: keep the window short
  t.after(spaceReturns);
  let response: RawResponse;
  try {
    response = await rawRequest(port, { body: JSON.stringify(call(41, null)), headers: session });
  } finally {
    spaceReturns();
  }
  assert.equal(response.status, 400);
  const answer = answerOf(response) as Answer;
  assert.equal(answer.id, 41);
  assert.equal(answer.error?.code, -32603);
  assert.match(
    answer.error.message,
    /^Audit record could not be written \(EFBIG.*; the request is refused all the same \(Invalid params: "params" must be an object\)$/,
  );
});
