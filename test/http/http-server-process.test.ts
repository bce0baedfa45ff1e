import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { checkExposure, isLoopbackHost } from '../../src/http/http-limits.js';
import { runCli } from '../support/cli.js';
import { rawRequest } from '../support/raw-http.js';
import { cleanEnv, SERVER_PATH } from '../support/spawned-server.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

/** The help-desk server over HTTP as a real process; stderr collected. */
function spawnHttpServer(env: Record<string, string>): { child: ChildProcess; stderr: () => string } {
  const child = spawn(process.execPath, [SERVER_PATH], {
    env: cleanEnv({ MCP_TRANSPORT: 'http', PORT: '0', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { child, stderr: () => text };
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

test('on a non-loopback address without tokens the server refuses to start, and says why', async () => {
  for (const host of ['0.0.0.0', '::']) {
    const { child, stderr } = spawnHttpServer({ HOST: host, AUDIT_LOG_DIR: makeTempDir('http-exposed') });
    assert.equal(await exitOf(child), 1);
    assert.match(
      stderr(),
      new RegExp(`refusing to listen on ${host.replace('.', '\\.')} without MCP_AUTH_TOKENS: any client that can reach it could call every tool`),
    );
    assert.match(stderr(), /MCP_ALLOW_UNAUTHENTICATED_REMOTE=true/);
    assert.doesNotMatch(stderr(), /serving on/);
  }
});

test('the operator can say they mean it; loopback needs no flag; a misspelt flag is refused', () => {
  assert.doesNotThrow(() => checkExposure('0.0.0.0', false, undefined, { MCP_ALLOW_UNAUTHENTICATED_REMOTE: 'true' }));
  assert.doesNotThrow(() => checkExposure('0.0.0.0', true, undefined, {}));
  assert.throws(() => checkExposure('0.0.0.0', false, undefined, { MCP_ALLOW_UNAUTHENTICATED_REMOTE: 'false' }), /refusing to listen/);
  assert.throws(
    () => checkExposure('10.0.0.5', false, undefined, { MCP_ALLOW_UNAUTHENTICATED_REMOTE: 'yes' }),
    /MCP_ALLOW_UNAUTHENTICATED_REMOTE must be true or false, not "yes"/,
  );
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) assert.equal(isLoopbackHost(host), false, host);
});

test('a bad HTTP limit stops the server at startup with the variable named', async () => {
  const { child, stderr } = spawnHttpServer({ MCP_MAX_SESSIONS: 'lots', AUDIT_LOG_DIR: makeTempDir('http-bad-limit') });
  assert.equal(await exitOf(child), 1);
  assert.match(stderr(), /MCP_MAX_SESSIONS must be a whole number >= 1, not "lots"/);
});

test('malformed bodies with a valid token get 400 and -32700, with at most one line on stderr; the trail verifies', async () => {
  const logDir = makeTempDir('http-process-trail');
  const { child, stderr } = spawnHttpServer({ AUDIT_LOG_DIR: logDir, MCP_AUTH_TOKENS: 'kim-token=kim' });
  const url = await new Promise<URL>((resolve, reject) => {
    child.stderr!.on('data', () => {
      const match = /serving on (http:\/\/\S+\/mcp)/.exec(stderr());
      if (match) resolve(new URL(match[1]!));
    });
    child.once('exit', () => reject(new Error(`server exited: ${stderr()}`)));
  });
  const port = Number(url.port);
  const startup = stderr().length;
  for (const body of ['{"jsonrpc":"2.0",', '\u0000\u0001binary', '[1, 2', 'null null']) {
    const answer = await rawRequest(port, { body, headers: { authorization: 'Bearer kim-token' } });
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.body).error.code, -32700);
    assert.equal(answer.headers['x-powered-by'], undefined);
  }
  assert.equal((await rawRequest(port, { body: 'not json' })).status, 401);
  const ok = await rawRequest(port, { headers: { authorization: 'Bearer kim-token' } });
  assert.equal(ok.status, 200);
  const logged = stderr().slice(startup).split('\n').filter(Boolean);
  assert.ok(logged.length <= 1, `stderr grew by: ${logged.join(' | ')}`);
  child.kill('SIGTERM');
  assert.equal(await exitOf(child), 0);
  assert.deepEqual(
    readTrail(logDir)
      .map((record) => record.action)
      .sort(),
    ['auth_failure', 'session_end', 'session_start'],
  );
  const verified = runCli(['verify', logDir]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
});
