import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { JsonRpcMessage } from '../../src/mcp/json-rpc.js';
import { MessageAuditor } from '../../src/mcp/message-auditor.js';
import { StdioProxy } from '../../src/proxy/stdio-proxy.js';
import { startAuditTrail } from '../../src/telemetry/audit-trail.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { initializeParams, PYTHON_SERVER } from '../support/wire-proxy.js';

/**
 * The auditor, real but for a fault put in on purpose: it throws on a tools/call whose text is "explode", before the
 * request is pending. No input is known to make the real one throw; this stands for the one nobody found yet.
 */
class FaultyAuditor extends MessageAuditor {
  override fromClient(payload: JsonRpcMessage | JsonRpcMessage[], carrier = {}): void {
    const params = (Array.isArray(payload) ? payload : [payload]).map(
      (message) => (message as { params?: { arguments?: { text?: unknown } } }).params,
    );
    if (params.some((param) => param?.arguments?.text === 'explode')) throw new Error('injected fault');
    super.fromClient(payload, carrier);
  }
}

test('a request the auditor throws on, after it was passed on: a failed record and an error answer; the server answer dropped; the proxy goes on', async () => {
  const logDir = join(makeTempDir('proxy-audit-fault'), 'logs');
  const trail = startAuditTrail({ logDir, register: false, reopenOnSighup: false });
  const auditor = new FaultyAuditor({
    tracer: trail.tracer,
    awaitRecord: (span) => trail.awaitRecord(span),
    connection: { transport: 'stdio', networkTransport: 'pipe', actor: 'tester' },
    dropUnmatchedResponses: true,
  });
  const input = new PassThrough();
  const output = new PassThrough();
  const logged: string[] = [];
  const [command, ...args] = PYTHON_SERVER as [string, ...string[]];
  const proxy = new StdioProxy({ command, args, auditor, input, output, log: (line) => logged.push(line), redact: (text) => text, graceMs: 2000 });
  const exited = proxy.run();

  const answers: Array<{ id?: unknown; result?: unknown; error?: { code: number; message: string } }> = [];
  let buffered = '';
  output.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      answers.push(JSON.parse(buffered.slice(0, end)));
      buffered = buffered.slice(end + 1);
    }
  });
  const send = (message: object): boolean => input.write(`${JSON.stringify(message)}\n`);
  const answered = async (id: number): Promise<(typeof answers)[number]> => {
    const deadline = Date.now() + 15_000;
    while (!answers.some((answer) => answer.id === id)) {
      if (Date.now() > deadline) throw new Error(`no answer to ${id}: ${JSON.stringify(answers)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return answers.find((answer) => answer.id === id)!;
  };

  send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams() });
  await answered(0);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'explode' } } });
  const failed = await answered(1);
  assert.equal(failed.error?.code, -32603, JSON.stringify(failed));
  assert.match(failed.error.message, /could not audit this request \(injected fault\)/);
  // The proxy goes on; the server's own answer to 1 never reaches the client.
  send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'after' } } });
  assert.ok((await answered(2)).result);
  input.end();
  assert.equal(await exited, 0);
  await trail.shutdown();

  assert.equal(answers.filter((answer) => answer.id === 1).length, 1, JSON.stringify(answers));
  const records = readTrail(logDir);
  const calls = records.filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    calls.map((record) => [record.request_id, record.success]),
    [
      ['1', false],
      ['2', true],
    ],
  );
  assert.match(String(calls[0]!.error), /could not audit this request \(injected fault\): the server received it/);
  assert.ok(
    records.some((record) => record.action === 'protocol_violation' && /answered id 1/.test(String(record.error))),
    JSON.stringify(records.map((record) => [record.action, record.error])),
  );
  assert.ok(
    logged.some((line) => /could not audit a message from the client \(injected fault\)/.test(line)),
    logged.join('\n'),
  );
});
