import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpointFileName } from '../../../src/audit/checkpoint/checkpoint-files.js';
import { runCli } from '../../support/cli.js';
import { makeTempDir } from '../../support/trail-files.js';

// AUDIT_CHECKPOINT_MIRROR, written by a real writer process: each copy lands whole under its final name (a temporary
// dot file, then a link), never over a different checkpoint of that size, and a failed copy is said on stderr and in
// the trail while every record is still written.
const child = fileURLToPath(new URL('../../support/signing-writer-child.js', import.meta.url));
const keys = makeTempDir('checkpoint-mirror-keys');

before(() => {
  const made = runCli(['keygen', '--out', keys]);
  assert.equal(made.status, 0, made.stderr);
});

function writer(dir: string, mirror: string, count: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    AUDIT_HMAC_KEY: '',
    AUDIT_SIGNING_KEY_FILE: join(keys, 'audit-signing.key'),
    AUDIT_CHECKPOINT_EVERY: '40',
    AUDIT_CHECKPOINT_MIRROR: mirror,
  };
  const process_ = spawn(process.execPath, [child, dir, 'w', String(count), '2026-01-15', '300'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  process_.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => process_.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Every line of every day file: a failure record is dated now, the test's records 2026-01-15. */
const trailLines = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.startsWith('audit_'))
    .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n').slice(0, -1));

test('every checkpoint is copied whole to the mirror, no temporary file left; one the mirror already holds differently is left as it is and reported', async () => {
  const root = makeTempDir('checkpoint-mirror');
  const dir = join(root, 'logs');
  const mirror = join(root, 'mirror');
  mkdirSync(mirror);
  // The first checkpoint comes once 40 lines are unsigned, written in bursts of 25: its size is at most 64.
  const forged = Array.from({ length: 64 }, (_, size) => checkpointFileName(size + 1));
  for (const name of forged) writeFileSync(join(mirror, name), 'another note\n');
  const run = await writer(dir, mirror, 120);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'done\n');
  const first = readdirSync(join(dir, 'checkpoints')).sort()[0]!;
  assert.ok(forged.includes(first), first);
  assert.match(
    run.stderr,
    new RegExp(`checkpoint ${first.replace('.', '\\.')} not copied to .*mirror: the mirror already holds another checkpoint of that size`),
  );
  for (const name of forged) assert.equal(readFileSync(join(mirror, name), 'utf8'), 'another note\n');
  const local = readdirSync(join(dir, 'checkpoints')).filter((name) => name !== first);
  assert.ok(local.length >= 2, local.join());
  for (const name of local) assert.equal(readFileSync(join(mirror, name), 'utf8'), readFileSync(join(dir, 'checkpoints', name), 'utf8'), name);
  assert.deepEqual(
    readdirSync(mirror).filter((name) => !name.endsWith('.checkpoint')),
    [],
    'no temporary file left',
  );
  const failures = trailLines(dir).filter((line) => line.includes('"action":"checkpoint_mirror_failed"'));
  assert.equal(failures.length, 1);
  assert.equal(trailLines(dir).length, 121);
});

test('a mirror that cannot be written (its path is a file): reported on stderr and in the trail, every record written', async () => {
  const root = makeTempDir('checkpoint-mirror-broken');
  const dir = join(root, 'logs');
  writeFileSync(join(root, 'not-a-dir'), '');
  const run = await writer(dir, join(root, 'not-a-dir'), 100);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /checkpoint \d{16}\.checkpoint not copied to .*not-a-dir: EEXIST/);
  const lines = trailLines(dir);
  assert.ok(lines.filter((line) => line.includes('"action":"checkpoint_mirror_failed"')).length >= 2, lines.join('\n'));
  assert.equal(lines.filter((line) => line.includes('"action":"tool_call"')).length, 100);
});
