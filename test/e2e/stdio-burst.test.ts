import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { cleanEnv, SERVER_PATH } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const CALLS = 400;

test('a burst of answers to a client that reads slowly: no MaxListenersExceededWarning, every call answered and recorded', {
  timeout: 60_000,
}, async () => {
  const logDir = makeTempDir('stdio-burst');
  const child = spawn(process.execPath, [SERVER_PATH], { env: cleanEnv({ AUDIT_LOG_DIR: logDir }), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // The client does not read: the server's stdout pipe fills up (about 1 KB per answer, far past the pipe's 64 KB).
  child.stdout.pause();
  const line = (message: object) => `${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`;
  let burst = line({
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '1' } },
  });
  burst += line({ method: 'notifications/initialized' });
  for (let id = 1; id <= CALLS; id++)
    burst += line({ id, method: 'tools/call', params: { name: 'search_policies', arguments: { query: 'password reset' } } });
  child.stdin.write(burst);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const answered = new Set<number>();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const text of lines) answered.add((JSON.parse(text) as { id: number }).id);
  });
  child.stdout.resume();
  const deadline = Date.now() + 30_000;
  while (answered.size < CALLS + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(answered.size, CALLS + 1);
  assert.doesNotMatch(stderr, /MaxListenersExceededWarning/);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'tool_call').length, CALLS);
});
