import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CLI_PATH, runCli } from '../support/cli.js';
import { helpdeskDirs, helpdeskServerPath, type HelpdeskDirs } from '../support/helpdesk-process.js';

const KEY = 'rotation-key';
const today = new Date().toISOString().slice(0, 10);
const live = `audit_${today}.jsonl`;

/** A real help-desk server over stdio, its pid at hand for SIGHUP (what logrotate's postrotate sends). */
async function startServer(dirs: HelpdeskDirs) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [helpdeskServerPath],
    stderr: 'pipe',
    env: { ...(process.env as Record<string, string>), AUDIT_LOG_DIR: dirs.logDir, HELPDESK_DATA_DIR: dirs.dataDir, AUDIT_HMAC_KEY: KEY },
  });
  const client = new Client({ name: 'rotation-test', version: '1.0.0' });
  await client.connect(transport);
  let calls = 0;
  return {
    pid: transport.pid!,
    calls: () => calls,
    call: async (n: number) => {
      for (let i = 0; i < n; i++) await client.callTool({ name: 'lookup_inventory', arguments: { query: `monitor ${calls++}` } });
    },
    close: () => client.close(),
  };
}

/** SIGHUP is handled asynchronously: give the server a moment, as logrotate's postrotate does not wait either. */
async function hangUp(pid: number): Promise<void> {
  process.kill(pid, 'SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Exactly what logrotate does in `create` mode (no copy): rename, create the path anew, postrotate. */
async function rotate(dir: string, rotatedName: string, pid: number): Promise<void> {
  renameSync(join(dir, live), join(dir, rotatedName));
  writeFileSync(join(dir, live), '', { mode: 0o600 });
  await hangUp(pid);
}

/** What logrotate's `compress` does after postrotate: gzip beside, remove the plain file. */
function compress(dir: string, name: string): void {
  writeFileSync(join(dir, `${name}.gz`), gzipSync(readFileSync(join(dir, name))));
  unlinkSync(join(dir, name));
}

function assertVerifiesWithEveryCall(dir: string, calls: number, files: string[]): void {
  assert.deepEqual(
    readdirSync(dir)
      .filter((name) => name.startsWith('audit_'))
      .sort(),
    [...files].sort(),
  );
  const verified = runCli(['verify', dir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  for (const name of files) assert.match(verified.stdout, new RegExp(`VALID {3}${name.replaceAll('.', '\\.')} `));
  const queried = runCli(['query', '--dir', dir, '--json', '--action', 'tool_call']);
  assert.equal(queried.status, 0, queried.stderr);
  const queries = queried.stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { input_summary: { query: string } }).input_summary.query);
  assert.deepEqual(
    queries,
    Array.from({ length: calls }, (_, i) => `monitor ${i}`),
  );
}

test('logrotate numbered rotation with compress and delaycompress (.jsonl.1, then .jsonl.2.gz): verify follows the chain, query reads every call', async () => {
  const dirs = helpdeskDirs('rotate-numbered');
  const server = await startServer(dirs);
  await server.call(3);
  await rotate(dirs.logDir, `${live}.1`, server.pid);
  await server.call(3);
  // Second run: .1 shifts to .2 and is compressed then (delaycompress), the live file becomes .1.
  renameSync(join(dirs.logDir, `${live}.1`), join(dirs.logDir, `${live}.2`));
  await rotate(dirs.logDir, `${live}.1`, server.pid);
  compress(dirs.logDir, `${live}.2`);
  await server.call(3);
  await server.close();
  assertVerifiesWithEveryCall(dirs.logDir, server.calls(), [`${live}.2.gz`, `${live}.1`, live]);
});

test('logrotate dateext with compress (no delay), rotated while the server is idle: verify and query follow the chain', async () => {
  const dirs = helpdeskDirs('rotate-dateext');
  const server = await startServer(dirs);
  await server.call(2);
  const stamp = today.replaceAll('-', '');
  await rotate(dirs.logDir, `${live}-${stamp}`, server.pid);
  compress(dirs.logDir, `${live}-${stamp}`);
  await server.call(2);
  await server.close();
  assertVerifiesWithEveryCall(dirs.logDir, server.calls(), [`${live}-${stamp}.gz`, live]);
});

test('a rotated file deleted afterwards is still reported as missing records', async () => {
  const dirs = helpdeskDirs('rotate-deleted');
  const server = await startServer(dirs);
  await server.call(2);
  await rotate(dirs.logDir, `${live}.1`, server.pid);
  await server.call(2);
  renameSync(join(dirs.logDir, `${live}.1`), join(dirs.logDir, `${live}.2`));
  await rotate(dirs.logDir, `${live}.1`, server.pid);
  await server.call(1);
  await server.close();
  unlinkSync(join(dirs.logDir, `${live}.1`));
  const verified = runCli(['verify', dirs.logDir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(verified.status, 1, verified.stdout);
  assert.match(verified.stdout, /missing-file/);
});

test('a rotated file compressed with something other than gzip is reported unreadable, never skipped in silence', async () => {
  const dirs = helpdeskDirs('rotate-xz');
  const server = await startServer(dirs);
  await server.call(1);
  await rotate(dirs.logDir, `${live}.1`, server.pid);
  await server.call(1);
  await server.close();
  // An xz stream's magic bytes, as `compresscmd xz` would leave.
  writeFileSync(join(dirs.logDir, `${live}.1.xz`), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]));
  unlinkSync(join(dirs.logDir, `${live}.1`));
  const verified = runCli(['verify', dirs.logDir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(verified.status, 1, verified.stdout);
  assert.match(verified.stdout, /unreadable: compressed with xz/);
});

/** The stanza of docs/trail-integrity.md, as printed there; the test replaces only the path, the state file and the postrotate command. */
function documentedStanza(): string {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/trail-integrity.md', import.meta.url)), 'utf8');
  const stanza = /```logrotate\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(stanza, 'docs/trail-integrity.md has a ```logrotate block');
  assert.match(stanza, /^\/var\/log\/mcp-audit\/audit_\*\.jsonl \{/);
  assert.match(stanza, /systemctl kill --signal=HUP mcp-helpdesk\.service/);
  return stanza;
}

test('the documented logrotate stanza, run by the real logrotate twice while the server works: nothing lost, verify passes', {
  skip: spawnSync('logrotate', ['--version']).error ? 'logrotate is not installed (.ci/run installs it)' : false,
}, async () => {
  const stanza = documentedStanza(); // read before the server starts, so a missing stanza leaves no process behind
  const dirs = helpdeskDirs('rotate-real');
  const server = await startServer(dirs);
  await server.call(3);
  const config = join(dirs.dataDir, '..', 'logrotate.conf');
  writeFileSync(
    config,
    stanza.replace('/var/log/mcp-audit', dirs.logDir).replace('systemctl kill --signal=HUP mcp-helpdesk.service', `kill -HUP ${server.pid}`),
  );
  chmodSync(config, 0o644);
  const run = () => {
    const result = spawnSync('logrotate', ['--force', '--state', join(dirs.dataDir, '..', 'logrotate.state'), config], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  };
  run();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await server.call(3);
  run();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await server.call(3);
  await server.close();
  assertVerifiesWithEveryCall(dirs.logDir, server.calls(), [`${live}.2.gz`, `${live}.1`, live]);
});

test("tail -f follows the file it opened through a rotation: the renamed file's last lines, then the new file's", async () => {
  const dir = helpdeskDirs('rotate-tail').dataDir;
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const line = (tool: string) =>
    JSON.stringify({ timestamp: `${today}T10:00:00.000Z`, action: 'tool_call', tool_name: tool, success: true, duration_ms: 1 }) + '\n';
  writeFileSync(join(dir, live), line('before'));
  const child = spawn(process.execPath, [CLI_PATH, 'tail', '-f', '-n', '0', '--interval', '200', '--json', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const waitFor = async (text: string, stream: () => string) => {
    for (let i = 0; i < 200 && !stream().includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(stream().includes(text), `tail -f did not print ${text}; got: ${stream()}`);
  };
  try {
    await waitFor('following', () => errors);
    // Within one poll: a last record reaches the file, logrotate renames it and creates the path anew, the writer goes on there.
    appendFileSync(join(dir, live), line('last-before-rotation'));
    renameSync(join(dir, live), join(dir, `${live}.1`));
    writeFileSync(join(dir, live), line('first-after-rotation'));
    await waitFor('first-after-rotation', () => output);
    const tools = output
      .trim()
      .split('\n')
      .map((text) => (JSON.parse(text) as { tool_name: string }).tool_name);
    assert.deepEqual(tools, ['last-before-rotation', 'first-after-rotation']);
  } finally {
    child.kill();
  }
});
