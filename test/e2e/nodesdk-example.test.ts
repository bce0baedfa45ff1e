import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { cleanEnv } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

// The NodeSDK example as its user runs it: node --import telemetry.js server.js.
const telemetryPath = fileURLToPath(new URL('../../examples/nodesdk/telemetry.js', import.meta.url));
const serverPath = fileURLToPath(new URL('../../examples/nodesdk/server.js', import.meta.url));

const repoRoot = new URL('../../../', import.meta.url);
const leadingComments = /^(\/\/.*\n)+/;

test("the README's NodeSDK snippet is examples/nodesdk/telemetry.ts and lines of server.ts, the files the next tests run", () => {
  const readme = readFileSync(new URL('README.md', repoRoot), 'utf8');
  const snippet = /```ts\n(\/\/ telemetry\.ts[^\n]*\n[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet, 'README.md has a ts block starting with "// telemetry.ts"');
  const [telemetry, server] = snippet.split('\n// server.ts\n');
  // Each side's opening comment says what the file is, in its own words.
  const example = (name: string) => readFileSync(new URL(`examples/nodesdk/${name}`, repoRoot), 'utf8').replace(leadingComments, '');
  assert.equal(telemetry?.replace(leadingComments, ''), example('telemetry.ts'), 'README.md and examples/nodesdk/telemetry.ts differ');
  assert.ok(server && example('server.ts').includes(server), `README.md's server.ts lines are not in examples/nodesdk/server.ts:\n${server}`);
});

let target: Server;
let targetUrl: string;
before(async () => {
  target = createServer((_request, response) => response.writeHead(204).end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;
});
after(() => new Promise((resolve) => target.close(resolve)));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 15_000; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs the example under `sampler`, makes `calls` tool calls, and returns what reached the trail and the collector. */
async function runExample(sampler: Record<string, string>, calls: number) {
  const logDir = join(makeTempDir('nodesdk-example'), 'logs');
  const receiver = await OtlpReceiver.start();
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', telemetryPath, serverPath],
    env: cleanEnv({ AUDIT_LOG_DIR: logDir, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.baseUrl, ...sampler }),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'nodesdk-test', version: '1.0.0' });
  await client.connect(transport);
  for (let i = 1; i <= calls; i++) {
    assert.deepEqual((await client.callTool({ name: 'http_status', arguments: { url: targetUrl } })).structuredContent, { status: 204 });
    // Answered only once recorded: the record is in the file when the answer arrives.
    assert.equal(readTrail(logDir).filter((record) => record.action === 'tool_call').length, i, stderr);
  }
  const exited = new Promise((resolve) => (transport.onclose = () => resolve(undefined)));
  await client.close();
  await exited;
  return { records: readTrail(logDir), receiver, stderr: () => stderr };
}

test("with the user's NodeSDK: the tool call is one span of the user's trace, the HTTP request its handler makes is its child, and only MCP operations are records", async (t) => {
  const { records, receiver, stderr } = await runExample({ OTEL_TRACES_SAMPLER: 'always_on' }, 2);
  t.after(() => receiver.close());
  const spansNamed = (prefix: string): ReceivedSpan[] => receiver.spans.filter((span) => span.name.startsWith(prefix));
  await until(() => spansNamed('tools/call').length === 2 && spansNamed('GET').length === 2, `2 tool and 2 HTTP spans (stderr: ${stderr()})`);
  for (const toolSpan of spansNamed('tools/call')) {
    const children = receiver.spans.filter((span) => span.parentSpanId === toolSpan.spanId);
    assert.deepEqual(
      children.map((span) => [span.name, span.traceId]),
      [['GET', toolSpan.traceId]],
    );
    assert.equal(toolSpan.resource['service.name'], 'status-checker');
  }
  // The exported tool spans are the very spans the records were made from.
  const toolRecords = records.filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    toolRecords.map((record) => record.span_id).sort(),
    spansNamed('tools/call')
      .map((span) => span.spanId)
      .sort(),
  );
  assert.deepEqual(
    records.map((record) => record.action),
    ['session_start', 'tool_call', 'tool_call', 'session_end'],
  );
  const httpSpanIds = new Set(spansNamed('GET').map((span) => span.spanId));
  assert.ok(records.every((record) => !httpSpanIds.has(record.span_id)));
});

test("a sampler that drops every trace drops no audit record, and the user's exporter still gets only what the sampler kept", async (t) => {
  const { records, receiver } = await runExample({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }, 3);
  t.after(() => receiver.close());
  assert.deepEqual(
    records.map((record) => [record.action, record.tool_name, record.success]),
    [
      ['session_start', null, true],
      ['tool_call', 'http_status', true],
      ['tool_call', 'http_status', true],
      ['tool_call', 'http_status', true],
      ['session_end', null, true],
    ],
  );
  assert.equal(new Set(records.map((record) => record.span_id)).size, records.length);
  assert.deepEqual(receiver.spans, []);
});
