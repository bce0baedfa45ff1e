import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditFileNameFor } from '../../src/index.js';
import { runCli } from '../support/cli.js';
import { fillDiskAfter } from '../support/full-disk.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';
import { type Arrival, callRecords, initializeParams, PYTHON_SERVER, type WireMessage, WireProxy } from '../support/wire-proxy.js';

test('the server crashes mid-call: every pending call is recorded as failed and answered with an error, then the proxy exits non-zero', async () => {
  const logDir = join(makeTempDir('proxy-crash'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  proxy.call(2, 'slow', { ms: 5000, text: 'never answered' });
  // The same id again while the first is pending (a protocol violation): this call is not lost in the crash either.
  proxy.call(2, 'slow', { ms: 5000, text: 'reused id, never answered' });
  proxy.request(3, 'ping');
  await proxy.response(3);
  proxy.call(4, 'crash', { code: 3 });
  await proxy.response(4);
  const answers = (id: number) =>
    proxy.arrivals.filter((arrival) => (arrival.message as WireMessage).id === id) as Array<Arrival & { message: WireMessage }>;
  await proxy.until(() => answers(2).length === 2, 'both answers to id 2');
  for (const [arrival, id] of [...answers(2).map((slow) => [slow, 2] as const), ...answers(4).map((crash) => [crash, 4] as const)]) {
    assert.equal(arrival.message.error?.code, -32603);
    assert.equal(arrival.message.error?.message, 'the MCP server exited with code 3 before answering');
    const records = callRecords(arrival.trailAtArrival, id);
    assert.deepEqual(
      records.map((record) => [record.success, record.error]),
      records.map(() => [false, 'the MCP server exited with code 3 before answering']),
    );
  }
  assert.deepEqual(
    callRecords(readTrail(logDir), 2).map((record) => record.input_summary['text']),
    ['never answered', 'reused id, never answered'],
  );
  assert.equal(await proxy.exited(), 3);
  assert.match(proxy.stderr, /stdlib server: crashing on purpose/, "the server's stderr passes through");
  assert.match(proxy.stderr, /^mcp-audit proxy: the server exited with code 3; stopping$/m);
  assert.equal(readTrail(logDir).filter((record) => record.action === 'session_end').length, 1);
  assert.equal(runCli(['verify', logDir]).status, 0);
});

test('a server command that does not exist: a one-line error and status 127, no stack trace', async () => {
  const logDir = join(makeTempDir('proxy-enoent'), 'logs');
  const proxy = new WireProxy(logDir, ['no-such-mcp-server-binary', '--flag']);
  proxy.request(0, 'initialize', initializeParams());
  assert.equal(await proxy.exited(), 127);
  // The failure is immediate: a request read before it is answered with the reason, none is answered with a result.
  for (const arrival of proxy.arrivals) assert.match(JSON.stringify(arrival.message), /could not be started \(command not found\)/);
  assert.equal(proxy.stderr, 'mcp-audit proxy: the server "no-such-mcp-server-binary" could not be started (command not found)\n');
});

test('an unwritable log directory stops the proxy before the server starts', async () => {
  const root = makeTempDir('proxy-unwritable');
  writeFileSync(join(root, 'not-a-dir'), '');
  const logDir = join(root, 'not-a-dir', 'logs');
  const marker = join(root, 'server-started');
  const proxy = new WireProxy(logDir, ['python3', '-c', `open(${JSON.stringify(marker)}, 'w')`]);
  assert.equal(await proxy.exited(), 1);
  assert.match(proxy.stderr, new RegExp(`mcp-audit proxy: .*${logDir.replace(/[/\\]/g, '.')}`));
  assert.equal(existsSync(marker), false, 'the server was never started');
});

test('a record that cannot be written: the client gets an error instead of the result (fail closed), and the proxy stays up', async () => {
  const logDir = join(makeTempDir('proxy-full-disk'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  proxy.call(2, 'echo', { text: 'recorded' });
  await proxy.response(2);
  // The proxy's disk fills up right at the end of the day file: its next write fails (support/full-disk.ts).
  fillDiskAfter(join(logDir, auditFileNameFor(new Date().toISOString())), proxy.child.pid!);
  proxy.call(3, 'echo', { text: 'withheld result' });
  const withheld = await proxy.response(3);
  assert.match(withheld.message.error?.message ?? '', /^Audit record could not be written \(EFBIG.*\); the result of this call is withheld$/);
  assert.equal(withheld.message.result, undefined);
  assert.ok(!JSON.stringify(withheld.message).includes('withheld result'), 'no part of the unaudited result reaches the client');
  assert.match(proxy.stderr, /audit: unwritten record .*"request_id":"3"/);
  proxy.request(4, 'ping');
  assert.deepEqual((await proxy.response(4)).message.result, {}, 'the proxy still serves');
  assert.equal(await proxy.close(), 0);
});

test('SIGTERM: the server is told to stop (stdin closed), the call in progress is answered and recorded, the proxy exits 0', async () => {
  const logDir = join(makeTempDir('proxy-sigterm'), 'logs');
  const proxy = new WireProxy(logDir, PYTHON_SERVER);
  await proxy.handshake();
  proxy.call(2, 'slow', { ms: 400, text: 'finished during shutdown' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  proxy.child.kill('SIGTERM');
  const answer = await proxy.response(2);
  assert.equal((answer.message.result as { content: Array<{ text: string }> }).content[0]?.text, 'finished during shutdown');
  assert.equal(callRecords(answer.trailAtArrival, 2)[0]?.success, true);
  assert.equal(await proxy.exited(), 0);
  const trail = readTrail(logDir);
  assert.deepEqual(
    trail.map((record) => record.action),
    ['session_start', 'tool_call', 'session_end'],
  );
  assert.equal(runCli(['verify', logDir]).status, 0);
});

test('a server that ignores the end of its stdin is stopped with SIGTERM after the grace period; its pending call is recorded', async () => {
  const logDir = join(makeTempDir('proxy-grace'), 'logs');
  // A server that never reads stdin and never exits by itself; SIGTERM (not SIGKILL) lets it say so and exit.
  const server = [
    "process.on('SIGTERM', () => { process.stderr.write('server: stopped by SIGTERM\\n'); process.exit(0); });",
    'setInterval(() => {}, 1000);',
    "process.stderr.write('server: ready\\n');",
  ].join('\n');
  const proxy = new WireProxy(logDir, [process.execPath, '-e', server], {}, ['--grace-ms', '200']);
  await proxy.until(() => proxy.stderr.includes('server: ready'), 'the server to start');
  proxy.call(7, 'anything', { x: 1 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const status = proxy.close();
  const answer = await proxy.response(7);
  assert.match(answer.message.error?.message ?? '', /^the MCP server was stopped \(end of stdin\) before answering$/);
  assert.equal(callRecords(answer.trailAtArrival, 7)[0]?.success, false);
  assert.equal(await status, 0);
  // Its stderr is the proxy's, which may reach us after the proxy's exit.
  await proxy.until(() => proxy.stderr.includes('server: stopped by SIGTERM'), 'the server to say SIGTERM stopped it (not SIGKILL)');
});

test('a second SIGINT or SIGTERM stops a server that ignores the first at once (SIGKILL), without waiting out the grace period', async (t) => {
  const logDir = join(makeTempDir('proxy-second-signal'), 'logs');
  // A server that never answers, outlives the end of its stdin and shrugs off SIGTERM.
  const server = [
    "process.on('SIGTERM', () => process.stderr.write('server: ignoring SIGTERM\\n'));",
    "process.stdin.on('data', () => process.stderr.write('server: got a call\\n'));",
    'setInterval(() => {}, 1000);',
    "process.stderr.write('server: ready, pid ' + process.pid + '\\n');",
  ].join('\n');
  const proxy = new WireProxy(logDir, [process.execPath, '-e', server], {}, ['--grace-ms', '600000']);
  await proxy.until(() => proxy.stderr.includes('server: ready'), 'the server to start');
  // Should the proxy not stop it, the test must still end.
  const serverPid = Number(/server: ready, pid (\d+)/.exec(proxy.stderr)?.[1]);
  t.after(() => {
    try {
      process.kill(serverPid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  });
  proxy.call(7, 'anything', { x: 1 });
  await proxy.until(() => proxy.stderr.includes('server: got a call'), 'the call to reach the server');
  proxy.child.kill('SIGINT');
  proxy.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const status = await Promise.race([
    proxy.exited(),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 30_000))),
  ]);
  clearTimeout(timer);
  assert.equal(status, 0, 'the proxy did not wait out the 10-minute grace period');
  const answer = await proxy.response(7);
  assert.match(answer.message.error?.message ?? '', /^the MCP server was stopped \(SIG(INT|TERM)\) before answering$/);
  assert.equal(callRecords(answer.trailAtArrival, 7)[0]?.success, false);
});
