import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { cleanEnv } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { EVERYTHING_SERVER, MEMORY_SERVER, proxyArgs, V2_SERVER } from '../support/wire-proxy.js';

interface ResponseSeen {
  id: string;
  trailAtArrival: AuditRecord[];
}

interface Watched {
  responses: ResponseSeen[];
  /** Every message in arrival order, as `<method>` or `response <id>`; progress as `progress <n>`. */
  wire: string[];
}

/**
 * Wraps a connected client transport's onmessage: every response is checked
 * against the trail at the moment it arrives, before the client sees it,
 * and the order of everything that arrives is kept.
 */
function watchResponses(transport: { onmessage?: ((message: never, extra?: never) => void) | undefined }, logDir: string): Watched {
  const watched: Watched = { responses: [], wire: [] };
  const deliver = transport.onmessage!;
  transport.onmessage = ((message: { id?: unknown; method?: unknown; params?: { progress?: unknown } }, extra?: never) => {
    if (message.id !== undefined && message.method === undefined) {
      watched.responses.push({ id: String(message.id), trailAtArrival: readTrail(logDir) });
      watched.wire.push(`response ${String(message.id)}`);
    } else {
      watched.wire.push(message.method === 'notifications/progress' ? `progress ${String(message.params?.progress)}` : String(message.method));
    }
    deliver(message as never, extra);
  }) as never;
  return watched;
}

function recordedBeforeAnswer(watched: Watched, record: AuditRecord): boolean {
  const arrival = watched.responses.find((response) => response.id === record.request_id);
  return arrival?.trailAtArrival.some((earlier) => earlier.span_id === record.span_id) === true;
}

function text(result: unknown): string {
  const item = (result as CallToolResult).content[0];
  return item?.type === 'text' ? item.text : '';
}

test('server-everything (SDK v1) behind the proxy, driven by the v1 client: progress, sampling, elicitation and cancellation pass; every call recorded before its answer', async (t) => {
  const logDir = join(makeTempDir('proxy-everything'), 'logs');
  const [command, ...server] = [process.execPath, ...proxyArgs(EVERYTHING_SERVER)];
  const transport = new StdioClientTransport({ command: command!, args: server, env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stderr: 'pipe' });
  const client = new Client({ name: 'everything-test', version: '3.1.4' }, { capabilities: { sampling: {}, elicitation: {} } });
  const sampled: string[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
    sampled.push(JSON.stringify(request.params.messages));
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'a sampled answer' } };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
  await client.connect(transport);
  t.after(() => client.close()); // a failed assertion must not leave the proxy running
  const seen = watchResponses(transport as never, logDir);

  const tools = (await client.listTools()).tools.map((tool) => tool.name);
  for (const name of ['echo', 'get-sum', 'trigger-long-running-operation', 'trigger-sampling-request', 'trigger-elicitation-request'])
    assert.ok(tools.includes(name), name);

  assert.equal(text(await client.callTool({ name: 'echo', arguments: { message: 'through the proxy' } })), 'Echo: through the proxy');
  assert.match(text(await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } })), /42/);
  const progress: number[] = [];
  await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  const [longRunningId] = seen.responses.slice(-1).map((response) => response.id);
  const end = seen.wire.indexOf(`response ${longRunningId}`);
  assert.deepEqual(seen.wire.slice(end - 3, end), ['progress 1', 'progress 2', 'progress 3'], 'progress passes in order, before the answer');
  // The v1 client drops a progress notification that arrives in the same read as the answer (it runs the
  // progress handler a microtask after removing it): the callback sees at least the earlier ones.
  assert.deepEqual(progress.slice(0, 2), [1, 2]);
  assert.match(text(await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } })), /a sampled answer/);
  assert.equal(sampled.length, 1, "the server's request to the client and the client's answer pass through mid-call");
  await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });

  const abort = new AbortController();
  const cancelled = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } }, undefined, {
    signal: abort.signal,
  });
  setTimeout(() => abort.abort('the user changed their mind'), 200);
  await assert.rejects(cancelled);
  const unknown = (await client.callTool({ name: 'no-such-tool', arguments: {} })) as CallToolResult;
  assert.equal(unknown.isError, true);
  const invalid = (await client.callTool({ name: 'get-sum', arguments: { a: 'two', b: 1 } })) as CallToolResult;
  assert.equal(invalid.isError, true, 'SDK v1 answers invalid arguments with an isError result');
  await client.close();

  const calls = readTrail(logDir).filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    calls.map((record) => [record.tool_name, record.success]),
    [
      ['echo', true],
      ['get-sum', true],
      ['trigger-long-running-operation', true],
      ['trigger-sampling-request', true],
      ['trigger-elicitation-request', true],
      ['trigger-long-running-operation', false],
      ['no-such-tool', false],
      ['get-sum', false],
    ],
  );
  for (const record of calls.filter((call) => call.error === null || !call.error.startsWith('cancelled'))) {
    assert.ok(
      recordedBeforeAnswer(seen, record),
      `the record of ${record.tool_name} (request ${record.request_id}) was in the file when its answer arrived`,
    );
  }
  assert.match(calls[5]!.error ?? '', /^cancelled by the client/);
  assert.deepEqual(calls[1]!.input_summary, { a: 2, b: 40 });
  assert.deepEqual(calls[0]!.client, { name: 'everything-test', version: '3.1.4' });
  assert.equal(calls[0]!.service, 'server-everything');
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_end').length, 1);
  assert.equal(runCli(['verify', logDir]).status, 0);
});

test('an SDK v2 server behind the proxy: the v2 client pinned to 2026-07-28 (no initialize) and a v1 client in the 2025 era', async (t) => {
  const logDir = join(makeTempDir('proxy-v2'), 'logs');
  const [command, ...args] = [process.execPath, ...proxyArgs(V2_SERVER)];
  const modernTransport = new StdioClientTransportV2({ command: command!, args, env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stderr: 'pipe' });
  const modern = new ClientV2({ name: 'modern-client', version: '2026.7' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await modern.connect(modernTransport);
  t.after(() => modern.close());
  const modernSeen = watchResponses(modernTransport as never, logDir);
  // Called before any tools/list passed: the proxy does not know the declared fields yet, so it keeps none.
  assert.equal(
    text(await modern.callTool({ name: 'greet', arguments: { name: 'unlisted', api_key: 'sk-live-0123456789abcdef0123' } })),
    'hello unlisted',
  );
  await modern.listTools();
  assert.equal(text(await modern.callTool({ name: 'greet', arguments: { name: 'Grace', api_key: 'sk-live-0123456789abcdef0123' } })), 'hello Grace');
  const refused = await modern.callTool({ name: 'refuse', arguments: { why: 'policy' } });
  assert.equal((refused as CallToolResult).isError, true);
  await assert.rejects(modern.callTool({ name: 'absent', arguments: {} }), /absent/);
  await modern.close();

  const legacyTransport = new StdioClientTransport({ command: command!, args, env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stderr: 'pipe' });
  const legacy = new Client({ name: 'legacy-client', version: '1.32' });
  await legacy.connect(legacyTransport);
  t.after(() => legacy.close());
  const legacySeen = watchResponses(legacyTransport as never, logDir);
  assert.equal(text(await legacy.callTool({ name: 'greet', arguments: { name: 'Ada' } })), 'hello Ada');
  await legacy.close();

  const trail = readTrail(logDir);
  const calls = trail.filter((record) => record.action === 'tool_call');
  assert.deepEqual(calls.shift()?.input_summary, {}, 'a tool never seen listed: no input written');
  assert.deepEqual(
    calls.map((record) => [record.client?.name, record.protocol_version, record.tool_name, record.success]),
    [
      ['modern-client', '2026-07-28', 'greet', true],
      ['modern-client', '2026-07-28', 'refuse', false],
      ['modern-client', '2026-07-28', 'absent', false],
      ['legacy-client', '2025-11-25', 'greet', true],
    ],
  );
  assert.deepEqual(calls[0]!.input_summary, { name: 'Grace', api_key: '[REDACTED]' });
  assert.equal(calls[1]!.error, 'refused: policy');
  assert.match(calls[2]!.error ?? '', /^MCP error -32602: .*absent/, 'SDK v2 answers an unknown tool with a JSON-RPC error');
  for (const record of calls.slice(0, 3)) assert.ok(recordedBeforeAnswer(modernSeen, record), record.tool_name!);
  assert.ok(recordedBeforeAnswer(legacySeen, calls[3]!));
  assert.deepEqual(
    trail.filter((record) => record.action.startsWith('session_')).map((record) => [record.action, record.client?.name]),
    [
      ['session_start', 'legacy-client'],
      ['session_end', 'legacy-client'],
    ],
  );
  assert.equal(runCli(['verify', logDir]).status, 0);
});

test('server-memory, an npm package server, behind the proxy: its knowledge-graph tools recorded with their declared inputs', async (t) => {
  const root = makeTempDir('proxy-memory');
  const logDir = join(root, 'logs');
  const [command, ...args] = [process.execPath, ...proxyArgs(MEMORY_SERVER)];
  const env = cleanEnv({ AUDIT_LOG_DIR: logDir, MEMORY_FILE_PATH: join(root, 'memory.jsonl') });
  const transport = new StdioClientTransport({ command: command!, args, env, stderr: 'pipe' });
  const client = new Client({ name: 'memory-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  const seen = watchResponses(transport as never, logDir);
  await client.listTools();
  const entities = [{ name: 'Ada', entityType: 'person', observations: ['wrote the first program'] }];
  await client.callTool({ name: 'create_entities', arguments: { entities } });
  assert.match(text(await client.callTool({ name: 'search_nodes', arguments: { query: 'Ada' } })), /wrote the first program/);
  await client.close();

  const calls = readTrail(logDir).filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    calls.map((record) => [record.tool_name, record.success, record.service]),
    [
      ['create_entities', true, 'server-memory'],
      ['search_nodes', true, 'server-memory'],
    ],
  );
  assert.deepEqual(calls[1]!.input_summary, { query: 'Ada' });
  assert.deepEqual(calls[0]!.input_summary, { entities });
  for (const record of calls) assert.ok(recordedBeforeAnswer(seen, record), record.tool_name!);
  assert.equal(runCli(['verify', logDir]).status, 0);
});

const pythonSdk = spawnSync('python3', ['-c', 'import mcp.server.mcpserver'], { encoding: 'utf8' });
const pythonSdkMissing =
  pythonSdk.status === 0
    ? false
    : 'the official Python MCP SDK (pip install mcp, 2.x) is not installed here, and no Python package index is reachable from this machine to install it';

test('a server built on the official Python SDK behind the proxy', { skip: pythonSdkMissing }, async (t) => {
  const logDir = join(makeTempDir('proxy-python-sdk'), 'logs');
  const script =
    'from mcp.server.mcpserver import MCPServer\napp = MCPServer("py-sdk")\n@app.tool()\ndef add(a: int, b: int) -> int:\n    return a + b\napp.run()\n';
  const [command, ...args] = [process.execPath, ...proxyArgs(['python3', '-c', script], ['--service-name', 'py-sdk'])];
  const transport = new StdioClientTransport({ command: command!, args, env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stderr: 'pipe' });
  const client = new Client({ name: 'py-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  const seen = watchResponses(transport as never, logDir);
  await client.listTools();
  assert.match(text(await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })), /3/);
  await client.close();
  const [call] = readTrail(logDir).filter((record) => record.action === 'tool_call');
  assert.deepEqual([call?.tool_name, call?.success, call?.service], ['add', true, 'py-sdk']);
  assert.ok(recordedBeforeAnswer(seen, call!));
  assert.equal(runCli(['verify', logDir]).status, 0);
});
