import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { initializeParams, proxyArgs, PYTHON_SERVER } from '../support/wire-proxy.js';

// A client that sends faster than the server reads fills the server's stdin
// pipe: the proxy stops reading the client until the pipe drains, with one
// wait per stall, not one per line (which Node reports as a listener leak on
// the stderr a client's log shows).
const CALLS = 3_000;

test(`${CALLS} calls sent in one write: the proxy waits for the server's stdin once per stall, and every call is answered and recorded`, async () => {
  const logDir = join(makeTempDir('proxy-backpressure'), 'logs');
  const proxy = spawn(process.execPath, proxyArgs(PYTHON_SERVER), { env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stdio: 'pipe' });
  let stderr = '';
  proxy.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let answered = 0;
  proxy.stdout.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) answered++;
  });
  const lines = [
    { jsonrpc: '2.0', id: 0, method: 'initialize', params: initializeParams() },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} },
  ];
  for (let id = 2; id < CALLS + 2; id++)
    lines.push({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `call ${id} ${'x'.repeat(100)}` } } });
  proxy.stdin.write(`${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);

  const deadline = Date.now() + 60_000;
  while (answered < CALLS + 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  proxy.stdin.end();
  await new Promise((resolve) => proxy.once('exit', resolve));

  assert.equal(answered, CALLS + 2, `every request answered; stderr: ${stderr}`);
  assert.doesNotMatch(stderr, /MaxListenersExceededWarning/);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'tool_call').length, CALLS);
});
