import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CLI_PATH, runCli } from '../support/cli.js';
import { helpdeskDirs, helpdeskServerPath, type HelpdeskDirs } from '../support/helpdesk-process.js';
import { makeTempDir } from '../support/trail-files.js';

// Signing on while logrotate renames the day file: the tree follows the renamed file by its first record, goes on in
// the new file, and every checkpoint still comes out of the trail's lines (verify --public-key) and proves (prove).
const keys = makeTempDir('signed-rotation-keys');
const publicKey = join(keys, 'audit-signing.pub');
const today = new Date().toISOString().slice(0, 10);
const live = `audit_${today}.jsonl`;

/** Closed again after all tests: a failed assertion must not leave a server holding the test process open. */
const clients: Client[] = [];
after(() => Promise.all(clients.map((client) => client.close())));

before(() => {
  const made = runCli(['keygen', '--out', keys]);
  assert.equal(made.status, 0, made.stderr);
});

/** A real help-desk server over stdio, signing every 2 lines; its stderr kept to show signing never stopped. */
async function startServer(dirs: HelpdeskDirs, firstCall: number, hmacKey = '') {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [helpdeskServerPath],
    stderr: 'pipe',
    env: {
      ...(process.env as Record<string, string>),
      AUDIT_LOG_DIR: dirs.logDir,
      HELPDESK_DATA_DIR: dirs.dataDir,
      AUDIT_HMAC_KEY: hmacKey,
      AUDIT_SIGNING_KEY_FILE: join(keys, 'audit-signing.key'),
      AUDIT_CHECKPOINT_EVERY: '2',
      AUDIT_CHECKPOINT_ORIGIN: 'example.org/audit/rotation',
    },
  });
  let stderr = '';
  transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'signed-rotation-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  let calls = firstCall;
  return {
    pid: transport.pid!,
    stderr: () => stderr,
    calls: () => calls,
    call: async (n: number) => {
      for (let i = 0; i < n; i++) await client.callTool({ name: 'lookup_inventory', arguments: { query: `monitor ${calls++}` } });
    },
    close: () => client.close(),
  };
}

/** logrotate in `create` mode: rename, create the path anew, postrotate's SIGHUP (handled asynchronously: a moment). */
async function rotate(dir: string, rotatedName: string, pid: number | null): Promise<void> {
  renameSync(join(dir, live), join(dir, rotatedName));
  writeFileSync(join(dir, live), '', { mode: 0o600 });
  if (pid !== null) process.kill(pid, 'SIGHUP');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

function compress(dir: string, name: string): void {
  writeFileSync(join(dir, `${name}.gz`), gzipSync(readFileSync(join(dir, name))));
  unlinkSync(join(dir, name));
}

function lineCount(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.startsWith('audit_'))
    .reduce((sum, name) => {
      const bytes = readFileSync(join(dir, name));
      const text = name.endsWith('.gz') ? spawnSync('gzip', ['-dc'], { input: bytes }).stdout : bytes;
      return sum + text.toString('utf8').split('\n').length - 1;
    }, 0);
}

/** `prove --seq` for a record, checked by `verify-proof` with the public key alone. */
function provesRecord(dir: string, seq: number): void {
  const proved = runCli(['prove', dir, '--seq', String(seq)]);
  assert.equal(proved.status, 0, proved.stderr);
  assert.match(JSON.parse(proved.stdout).record as string, new RegExp(`"seq":${seq},`));
  const checked = spawnSync(process.execPath, [CLI_PATH, 'verify-proof', '--public-key', publicKey], { input: proved.stdout, encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
}

test('logrotate renames the live file twice (.1, then .2.gz with delaycompress), once under a running server, once between two servers: signing goes on, verify --public-key and prove pass', async () => {
  const dirs = helpdeskDirs('signed-rotation');
  const first = await startServer(dirs, 0);
  await first.call(5);
  await rotate(dirs.logDir, `${live}.1`, first.pid);
  await first.call(5);
  await first.close();
  // With no server running: the next one catches up from the shared tree state, past a renamed file.
  renameSync(join(dirs.logDir, `${live}.1`), join(dirs.logDir, `${live}.2`));
  await rotate(dirs.logDir, `${live}.1`, null);
  compress(dirs.logDir, `${live}.2`);
  const second = await startServer(dirs, first.calls());
  await second.call(5);
  await second.close();
  for (const server of [first, second]) assert.doesNotMatch(server.stderr(), /checkpoints stopped|checkpoint not written/, server.stderr());

  const lines = lineCount(dirs.logDir);
  const verified = runCli(['verify', dirs.logDir, '--public-key', publicKey]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  for (const name of [`${live}.2.gz`, `${live}.1`, live]) assert.match(verified.stdout, new RegExp(`^VALID {3}${name.replaceAll('.', '\\.')} `, 'm'));
  assert.match(verified.stdout, new RegExp(`OK: chain intact; ${lines} lines in 3 file\\(s\\) give the roots of \\d+ checkpoint\\(s\\)`));
  // The last checkpoint (the second server's clean close) covers every line: the tree never restarted.
  const sizes = readdirSync(join(dirs.logDir, 'checkpoints'))
    .filter((name) => name.endsWith('.checkpoint'))
    .map((name) => Number(name.slice(0, 16)));
  assert.equal(Math.max(...sizes), lines);
  for (const seq of [2, 8, lines - 1]) provesRecord(dirs.logDir, seq);
});

test("logrotate dateext rotation compressed at once, under a running server with a keyed chain: the tree follows the gzipped file; verify --public-key checks the chain's hashes only with its key", async () => {
  const dirs = helpdeskDirs('signed-rotation-dateext');
  const server = await startServer(dirs, 0, 'chain-key');
  await server.call(3);
  const rotated = `${live}-${today.replaceAll('-', '')}`;
  await rotate(dirs.logDir, rotated, server.pid);
  compress(dirs.logDir, rotated);
  await server.call(3);
  await server.close();
  assert.doesNotMatch(server.stderr(), /checkpoints stopped/, server.stderr());
  const verified = runCli(['verify', dirs.logDir, '--public-key', publicKey]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, new RegExp(`^VALID {3}${rotated.replaceAll('.', '\\.')}\\.gz `, 'm'));
  assert.match(verified.stdout, /note: the chain is keyed and no key was given .* its record hashes and head seal were not/);
  const keyed = runCli(['verify', dirs.logDir, '--public-key', publicKey], { AUDIT_HMAC_KEY: 'chain-key' });
  assert.equal(keyed.status, 0, keyed.stdout + keyed.stderr);
  assert.doesNotMatch(keyed.stdout, /the chain is keyed/);
  const wrongKey = runCli(['verify', dirs.logDir, '--public-key', publicKey], { AUDIT_HMAC_KEY: 'another-key' });
  assert.equal(wrongKey.status, 1, wrongKey.stdout);
  assert.match(wrongKey.stdout, /chain: \(trail\): wrong-key: /);
  provesRecord(dirs.logDir, 2);
});
