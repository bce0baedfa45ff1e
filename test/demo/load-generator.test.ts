import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OtlpReceiver } from '../support/otlp-receiver.js';
import { cleanEnv, SERVER_PATH } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const LOADGEN_PATH = fileURLToPath(new URL('../../src/demo/load-generator.js', import.meta.url));

function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return () => text;
}

test('the load generator drives the HTTP server as the demo does: successes, failures, a traversal attempt, an auth failure; spans forwarded over tcp', async () => {
  const collector = await OtlpReceiver.start();
  const logDir = makeTempDir('loadgen-trail');
  const server = spawn(process.execPath, [SERVER_PATH], {
    env: cleanEnv({
      MCP_TRANSPORT: 'http',
      PORT: '0',
      AUDIT_LOG_DIR: logDir,
      MCP_AUTH_TOKENS: 'demo-token=loadgen',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl,
      OTEL_METRICS_EXPORTER: 'none',
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const serverStderr = collectStderr(server);
  const url = await new Promise<string>((resolve, reject) => {
    server.stderr!.on('data', () => {
      const match = /serving on (http:\/\/\S+\/mcp) \(bearer auth on\)/.exec(serverStderr());
      if (match) resolve(match[1]!);
    });
    server.once('exit', () => reject(new Error(`server exited: ${serverStderr()}`)));
  });

  const loadgen = spawn(process.execPath, [LOADGEN_PATH], {
    env: cleanEnv({ MCP_URL: url, MCP_TOKEN: 'demo-token', LOAD_ROUNDS: '25', LOAD_INTERVAL_MS: '0' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const loadgenStderr = collectStderr(loadgen);
  const [code] = await once(loadgen, 'exit');
  assert.equal(code, 0, loadgenStderr());
  assert.match(loadgenStderr(), /done: 25 calls, \d+ failed as intended/);

  server.kill('SIGTERM');
  await once(server, 'exit');
  await collector.close();

  const records = readTrail(logDir);
  const calls = records.filter((record) => record.action === 'tool_call');
  assert.equal(calls.length, 25);
  assert.ok(calls.some((record) => record.success));
  assert.ok(calls.some((record) => !record.success && record.tool_name === 'create_ticket'));
  const traversal = calls.find((record) => record.input_summary['query'] === '../../etc/passwd');
  assert.equal(traversal?.success, false);
  assert.match(traversal?.error ?? '', /Invalid query/);
  assert.equal(new Set(calls.map((record) => record.session_id)).size, 1);
  assert.ok(calls.every((record) => record.transport === 'streamable-http' && record.session_id && record.actor === 'loadgen'));
  const refusals = records.filter((record) => record.action === 'auth_failure');
  assert.equal(refusals.length, 1);
  assert.equal(refusals[0]!.error, 'invalid bearer token');

  // Forwarded over OTLP: one span per record, tcp and the session on each tool span.
  const toolSpans = collector.spans.filter((span) => span.attributes['mcp.method.name'] === 'tools/call');
  assert.deepEqual(new Set(toolSpans.map((span) => span.spanId)), new Set(calls.map((record) => record.span_id)));
  for (const span of toolSpans) {
    assert.equal(span.attributes['network.transport'], 'tcp');
    assert.equal(span.attributes['mcp.session.id'], calls[0]!.session_id);
    assert.equal(span.attributes['client.address'], '127.0.0.1');
  }
  assert.ok(collector.spans.some((span) => span.name === 'auth_failure' && span.spanId === refusals[0]!.span_id));
});
