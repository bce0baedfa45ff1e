import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { verifies } from '../support/cli.js';
import { startHttpProxy, startUpstream, toolCalls, watchingFetch, type HttpArrival, stoppedAfterAll } from '../support/http-wire.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const started = stoppedAfterAll();

/** The response to `id` as the client received it, which must have found its record already on disk. */
function recordedBeforeAnswer(arrivals: HttpArrival[], id: number, sessionId: string | undefined): HttpArrival {
  const arrival = arrivals.find((candidate) => candidate.message.id === id);
  assert.ok(arrival, `the response to ${id} arrived`);
  const records = toolCalls(arrival.trailAtArrival, id).filter((record) => record.session_id === (sessionId ?? null));
  assert.equal(records.length, 1, `the record of call ${id} was on disk when its response arrived`);
  return arrival;
}

test('server-everything (2025 era, sessions, SSE) behind the proxy, SDK v1 client: sequential, 20 in flight, progress, sampling mid-call, DELETE', async () => {
  const logDir = join(makeTempDir('http-proxy-everything'), 'logs');
  const upstream = await startUpstream('everything');
  const proxy = await startHttpProxy(logDir, upstream.url, {}, ['--service-name', 'everything']);
  started.push(upstream.process, proxy.process);

  const arrivals: HttpArrival[] = [];
  const transport = new StreamableHTTPClientTransport(proxy.url, { fetch: watchingFetch(logDir, arrivals) });
  const client = new Client({ name: 'http-wire-test', version: '1.2.3' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: 'sampled answer' },
  }));
  await client.connect(transport);
  const sessionId = transport.sessionId;
  assert.ok(sessionId, 'the upstream gave a session id through the proxy');
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_start').length, 1);
  await client.listTools();

  const echoed = await client.callTool({ name: 'echo', arguments: { message: 'through the proxy' } });
  assert.deepEqual(echoed.content, [{ type: 'text', text: 'Echo: through the proxy' }]);
  const sums = await Promise.all(Array.from({ length: 20 }, (_, n) => client.callTool({ name: 'get-sum', arguments: { a: n, b: 1000 } })));
  for (const [n, sum] of sums.entries()) assert.match(JSON.stringify(sum.content), new RegExp(`${n + 1000}`));

  const progress: number[] = [];
  const long = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
    onprogress: (update) => progress.push(update.progress),
  });
  assert.match(JSON.stringify(long.content), /Long running operation completed/);
  assert.deepEqual(progress, [1, 2, 3], 'progress events streamed through before the answer');

  const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 10 } });
  assert.match(JSON.stringify(sampled.content), /sampled answer/, "the server's request mid-call and the client's answer passed");

  const calls = toolCalls(readTrail(logDir));
  assert.equal(calls.length, 23);
  for (const arrival of arrivals) {
    const id = arrival.message.id as number;
    if (toolCalls(readTrail(logDir), id).length > 0) recordedBeforeAnswer(arrivals, id, sessionId);
  }
  for (const record of calls) {
    assert.equal(record.session_id, sessionId);
    assert.equal(record.transport, 'streamable-http');
    assert.equal(record.service, 'everything');
    assert.equal(record.client_address, '127.0.0.1');
    assert.deepEqual(record.client, { name: 'http-wire-test', version: '1.2.3' });
    assert.equal(record.success, true, record.error ?? '');
  }
  assert.deepEqual(calls.find((record) => record.tool_name === 'get-sum' && record.input_summary['a'] === 0)?.input_summary, { a: 0, b: 1000 });

  await transport.terminateSession();
  const ends = readTrail(logDir).filter((record) => record.action === 'session_end');
  assert.equal(ends.length, 1, 'DELETE ended the session, recorded before the answer');
  assert.equal(ends[0]!.session_id, sessionId);
  await client.close();
  assert.equal(await proxy.process.stop(), 0);
  assert.equal(toolCalls(readTrail(logDir)).length, 23);
  verifies(logDir);
});
