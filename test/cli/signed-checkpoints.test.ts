import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { ChainHasher, GENESIS, type ChainLink } from '../../src/audit/trail/hash-chain.js';
import { CLI_PATH, runCli } from '../support/cli.js';

const child = fileURLToPath(new URL('../support/signing-writer-child.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'signed-checkpoints-'));
const keys = join(root, 'keys');
const pristine = join(root, 'pristine');
const DAY1 = 'audit_2026-01-15.jsonl';
const DAY2 = 'audit_2026-01-16.jsonl';

function writer(dir: string, id: string, count: number, day: string): Promise<void> {
  const env = {
    ...process.env,
    AUDIT_HMAC_KEY: '',
    AUDIT_SIGNING_KEY_FILE: join(keys, 'audit-signing.key'),
    AUDIT_CHECKPOINT_EVERY: '40',
    AUDIT_CHECKPOINT_ORIGIN: 'example.org/audit/help-desk',
    AUDIT_CHECKPOINT_MIRROR: join(root, 'pristine-mirror'),
  };
  const process_ = spawn(process.execPath, [child, dir, id, String(count), day], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => process_.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${id} exited ${code}`)))));
}

/** A fresh copy of the signed trail (and of its mirror) for one case to tamper with. */
function copy(): { dir: string; mirror: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  cpSync(pristine, join(dir, 'logs'), { recursive: true });
  cpSync(join(root, 'pristine-mirror'), join(dir, 'mirror'), { recursive: true });
  return { dir: join(dir, 'logs'), mirror: join(dir, 'mirror') };
}

const verify = (dir: string, ...more: string[]) =>
  runCli(['verify', dir, '--public-key', join(keys, 'audit-signing.pub'), ...more], { AUDIT_HMAC_KEY: '' });
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(0, -1);

before(async () => {
  const made = runCli(['keygen', '--out', keys]);
  assert.equal(made.status, 0, made.stderr);
  // Two writer processes extend one tree at once, then a third writes the next day.
  await Promise.all([writer(pristine, 'a', 120, '2026-01-15'), writer(pristine, 'b', 120, '2026-01-15')]);
  await writer(pristine, 'c', 60, '2026-01-16');
});

test('keygen writes a 0600 PKCS#8 private key and an SPKI public key, and refuses to overwrite them', () => {
  assert.equal(statSync(join(keys, 'audit-signing.key')).mode & 0o777, 0o600);
  assert.match(readFileSync(join(keys, 'audit-signing.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.match(readFileSync(join(keys, 'audit-signing.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  const again = runCli(['keygen', '--out', keys]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists: not overwritten/);
});

test('an intact trail written by several processes across a day boundary verifies with the public key alone, mirror included', () => {
  const { dir, mirror } = copy();
  assert.equal(lines(join(dir, DAY1)).length + lines(join(dir, DAY2)).length, 300);
  const result = verify(dir, '--checkpoints', mirror);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^VALID {3}audit_2026-01-15\.jsonl \(240 records, seq 1-240; 240 lines, leaves 0-239\)$/m);
  assert.match(
    result.stdout,
    /OK: chain intact; 300 lines in \d file\(s\) give the roots of \d+ checkpoint\(s\) signed by example\.org\/audit\/help-desk\+[0-9a-f]{8}/,
  );
  const last = readFileSync(join(dir, 'checkpoints', '0000000000000300.checkpoint'), 'utf8');
  assert.match(last, /^example\.org\/audit\/help-desk\n300\n[A-Za-z0-9+/]{43}=\n\n— example\.org\/audit\/help-desk [A-Za-z0-9+/]{91}=\n$/);
  assert.equal(readFileSync(join(mirror, '0000000000000300.checkpoint'), 'utf8'), last);
});

test('a record edited and the plain SHA-256 chain recomputed after it: the chain verifies, the signed tree does not', () => {
  const { dir } = copy();
  const file = join(dir, DAY1);
  const all = lines(file);
  const hasher = new ChainHasher(undefined);
  let link: ChainLink = GENESIS;
  const rewritten = all.map((line, index) => {
    const { seq: _seq, prev_hash: _prev, hash: _hash, ...record } = JSON.parse(line) as Record<string, unknown>;
    if (index === 99) record['tool_name'] = 'delete_everything';
    const chained = hasher.chain(record, link);
    link = chained.link;
    return chained.line;
  });
  writeFileSync(file, rewritten.join(''));
  // Day 2 continues from the old chain: re-chain it too, as a careful forger would.
  const day2 = lines(join(dir, DAY2)).map((line) => {
    const { seq: _seq, prev_hash: _prev, hash: _hash, ...record } = JSON.parse(line) as Record<string, unknown>;
    const chained = hasher.chain(record, link);
    link = chained.link;
    return chained.line;
  });
  writeFileSync(join(dir, DAY2), day2.join(''));
  const chain = runCli(['verify', dir, '--no-head'], { AUDIT_HMAC_KEY: '' });
  assert.equal(chain.status, 0, chain.stdout);
  const signed = verify(dir);
  assert.equal(signed.status, 1);
  assert.match(signed.stdout, /^INVALID audit_2026-01-15\.jsonl/m);
  assert.match(
    signed.stdout,
    /modified: the trail does not give the root signed in .*\(size \d+\): a line among leaves \d+\.\.\d+ \(audit_2026-01-15\.jsonl:\d+ to audit_2026-01-15\.jsonl:\d+\) was edited/,
  );
  const leaves = /leaves (\d+)\.\.(\d+)/.exec(signed.stdout)!.slice(1).map(Number);
  assert.ok(leaves[0]! <= 99 && 99 <= leaves[1]!, signed.stdout);
});

for (const [name, change] of [
  ['deleted', (all: string[]) => all.filter((_, index) => index !== 50)],
  ['inserted', (all: string[]) => [...all.slice(0, 50), all[10]!, ...all.slice(50)]],
  ['moved', (all: string[]) => [...all.slice(0, 50), all[60]!, ...all.slice(50, 60), ...all.slice(61)]],
] as const) {
  test(`a record ${name}: the signed tree fails`, () => {
    const { dir } = copy();
    writeFileSync(
      join(dir, DAY1),
      change(lines(join(dir, DAY1)))
        .map((line) => `${line}\n`)
        .join(''),
    );
    const result = verify(dir);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /modified: the trail does not give the root signed/);
  });
}

test("the tail cut and the local checkpoints rolled back to match: the chain's head catches it, and without the head the mirror does", () => {
  const { dir, mirror } = copy();
  writeFileSync(
    join(dir, DAY2),
    lines(join(dir, DAY2))
      .slice(0, 20)
      .map((line) => `${line}\n`)
      .join(''),
  );
  for (const name of readdirSync(join(dir, 'checkpoints'))) if (Number(name.slice(0, 16)) > 260) rmSync(join(dir, 'checkpoints', name));
  const withHead = verify(dir);
  assert.equal(withHead.status, 1, withHead.stdout);
  assert.match(withHead.stdout, /chain: audit_2026-01-16\.jsonl:21 seq 261: truncated: the trail ends at seq 260 .* but the head says seq 300/);
  assert.match(withHead.stdout, /FAILED: 1 chain problem\(s\), 0 tree problem\(s\)/);
  assert.equal(verify(dir, '--no-head').status, 0, 'without the head or the mirror, a consistent rollback is not visible');
  const result = verify(dir, '--no-head', '--checkpoints', mirror);
  assert.equal(result.status, 1);
  assert.match(
    result.stdout,
    /truncated: .*mirror\/0000000000000300\.checkpoint signed 300 lines but the trail has 260: lines 260\.\.299 were cut off the end/,
  );
});

test('a whole day file removed: the signed tree fails', () => {
  const { dir } = copy();
  rmSync(join(dir, DAY2));
  const result = verify(dir);
  assert.equal(result.status, 1);
  assert.match(result.stdout, /truncated: .* signed 300 lines but the trail has 240/);
});

test('the oldest day deleted as retention does: later roots still come out of the compact range noted at the next file, and the note says so; the chain, with no retention record, reports the file missing', () => {
  const { dir } = copy();
  rmSync(join(dir, DAY1));
  const result = verify(dir);
  assert.equal(result.status, 1, result.stdout);
  assert.match(result.stdout, /chain: audit_2026-01-16\.jsonl:1 seq 241: missing-file: seq 1\.\.240 missing before the oldest file/);
  assert.match(result.stdout, /FAILED: 1 chain problem\(s\), 0 tree problem\(s\)/);
  assert.match(result.stdout, /note: leaves 0\.\.239 \(before audit_2026-01-16\.jsonl\) are no longer in the trail/);
  assert.match(result.stdout, /checkpoint\(s\) older than the retired lines: signatures checked, roots not recomputable/);
});

test('audit.tree-starts.jsonl, which nothing signs, forged to say more lines were retired than any checkpoint covers: the cut tail is still caught', () => {
  const { dir, mirror } = copy();
  rmSync(join(dir, DAY2));
  for (const name of readdirSync(join(dir, 'checkpoints'))) if (Number(name.slice(0, 16)) > 240) rmSync(join(dir, 'checkpoints', name));
  const forged = {
    file: DAY1,
    first: { seq: GENESIS.seq, hash: GENESIS.hash },
    range: { size: 1024, hashes: [Buffer.alloc(32).toString('base64')] },
  };
  writeFileSync(join(dir, 'audit.tree-starts.jsonl'), `${JSON.stringify(forged)}\n`);
  const result = verify(dir, '--no-head', '--checkpoints', mirror);
  assert.equal(result.status, 1, result.stdout);
  assert.match(
    result.stdout,
    /tree: audit_2026-01-15\.jsonl: unvouched-start: 1024 line\(s\) are said to be retired before it .* no checkpoint of that size or more matches the trail/,
  );
});

test('a FIFO planted under a trail file name: verify --public-key says it cannot count that file, exit 2, and does not wait on it', () => {
  const { dir } = copy();
  spawnSync('mkfifo', [join(dir, 'audit_2026-01-14.jsonl')]);
  const result = verify(dir);
  assert.equal(result.status, 2, result.stdout + result.stderr);
  assert.match(result.stderr, /refusing .*audit_2026-01-14\.jsonl: .*not a regular file/);
});

test('checkpoints signed by another key, an edited checkpoint and a swapped one are each reported', () => {
  const { dir } = copy();
  const other = join(root, 'other.pub');
  writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
  const wrongKey = runCli(['verify', dir, '--public-key', other]);
  assert.equal(wrongKey.status, 1);
  assert.match(wrongKey.stdout, /signature: not signed by this public key \(signed by example\.org\/audit\/help-desk\+[0-9a-f]{8}\)/);
  assert.match(wrongKey.stdout, /no-checkpoint: no checkpoint signed by this public key/);

  const checkpoints = join(dir, 'checkpoints');
  const edited = join(checkpoints, '0000000000000300.checkpoint');
  writeFileSync(edited, readFileSync(edited, 'utf8').replace('\n300\n', '\n299\n'));
  const swappedFrom = readdirSync(checkpoints).find((name) => name !== '0000000000000300.checkpoint')!;
  cpSync(join(checkpoints, swappedFrom), join(checkpoints, '0000000000000290.checkpoint'));
  const result = verify(dir);
  assert.equal(result.status, 1);
  assert.match(result.stdout, /0000000000000300\.checkpoint: signature: invalid signature by example\.org\/audit\/help-desk\+/);
  assert.match(
    result.stdout,
    new RegExp(`0000000000000290\\.checkpoint: signature: signed for size ${Number(swappedFrom.slice(0, 16))}, but named for size 290`),
  );
});

test('prove prints one record with its inclusion proof and checkpoint; verify-proof checks it with the public key alone, and refuses an edited record', () => {
  const { dir } = copy();
  const proved = runCli(['prove', dir, '--seq', '150']);
  assert.equal(proved.status, 0, proved.stderr);
  const proof = JSON.parse(proved.stdout) as { record: string; leaf_index: number; tree_size: number; proof: string[]; checkpoint: string };
  assert.equal(proof.record, lines(join(dir, DAY1))[149]);
  assert.equal(proof.leaf_index, 149);
  assert.equal(proof.tree_size, 300);
  assert.equal(proof.proof.length, 9);
  const check = (input: string) =>
    spawnSync(process.execPath, [CLI_PATH, 'verify-proof', '--public-key', join(keys, 'audit-signing.pub')], { input, encoding: 'utf8' });
  const ok = check(proved.stdout);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK: the record is leaf 149 of example\.org\/audit\/help-desk, size 300/);
  const forged = check(JSON.stringify({ ...proof, record: proof.record.replace('"success":true', '"success":false') }));
  assert.equal(forged.status, 1);
  assert.match(forged.stdout, /FAILED: the record is not leaf 149 of the signed tree of size 300/);
});

test('prove on a trail whose oldest day retention deleted: the proof comes out of the compact range noted at the next file, is the one the whole trail gives, and verifies', () => {
  const { dir } = copy();
  const whole = runCli(['prove', dir, '--seq', '280']);
  assert.equal(whole.status, 0, whole.stderr);
  rmSync(join(dir, DAY1));
  const proved = runCli(['prove', dir, '--seq', '280']);
  assert.equal(proved.status, 0, proved.stderr);
  assert.equal(proved.stdout, whole.stdout);
  const proof = JSON.parse(proved.stdout) as { record: string; leaf_index: number; tree_size: number };
  assert.equal(proof.record, lines(join(dir, DAY2))[39]);
  assert.equal(proof.leaf_index, 279);
  assert.equal(proof.tree_size, 300);
  const ok = spawnSync(process.execPath, [CLI_PATH, 'verify-proof', '--public-key', join(keys, 'audit-signing.pub')], {
    input: proved.stdout,
    encoding: 'utf8',
  });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^OK: the record is leaf 279 of example\.org\/audit\/help-desk, size 300/);
  const retired = runCli(['prove', dir, '--seq', '150']);
  assert.equal(retired.status, 1);
  assert.match(retired.stderr, /no record with seq 150 in .* \(leaves 0\.\.239 were retired by retention\)/);
});

test('--json on the signed checks: verify --public-key, prove and verify-proof print one JSON object; an unreadable key is exit 2', () => {
  const { dir } = copy();
  const verified = verify(dir, '--json');
  assert.equal(verified.status, 0, verified.stderr);
  assert.equal((JSON.parse(verified.stdout) as { ok: boolean; leaves: number }).leaves, 300);
  const proved = runCli(['prove', '--dir', dir, '--seq', '10', '--json']);
  assert.equal(proved.status, 0, proved.stderr);
  const check = (input: string, key = join(keys, 'audit-signing.pub')) =>
    spawnSync(process.execPath, [CLI_PATH, 'verify-proof', '--public-key', key, '--json'], { input, encoding: 'utf8' });
  const ok = check(proved.stdout);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), {
    ok: true,
    message: 'the record is leaf 9 of example.org/audit/help-desk, size 300, signed by example.org/audit/help-desk',
  });
  const forged = check(proved.stdout.replace('\\"seq\\":10,', '\\"seq\\":11,'));
  assert.equal(forged.status, 1, forged.stderr);
  assert.equal((JSON.parse(forged.stdout) as { ok: boolean }).ok, false);
  const noKey = check(proved.stdout, join(keys, 'absent.pub'));
  assert.equal(noKey.status, 2);
  assert.match(noKey.stderr, /^mcp-audit verify-proof: .*absent\.pub/);
});

test('with the chain checked on a worker thread and the tree on the main one, a record edited in place is reported by both, in text and in --json (exit 1)', () => {
  const { dir } = copy();
  const file = join(dir, DAY1);
  const all = lines(file);
  all[99] = all[99]!.replace(/"tool_name":"[^"]*"/, '"tool_name":"delete_everything"');
  writeFileSync(file, all.map((line) => `${line}\n`).join(''));
  const result = verify(dir);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /^ {2}chain: audit_2026-01-15\.jsonl:100 seq 100: modified: /m);
  assert.match(result.stdout, /^ {2}tree: .*: modified: the trail does not give the root signed/m);
  assert.match(result.stdout, /FAILED: 1 chain problem\(s\), [1-9]\d* tree problem\(s\); 300 records, 300 lines/);
  const json = JSON.parse(verify(dir, '--json').stdout) as {
    ok: boolean;
    problems: { kind: string }[];
    chain: { ok: boolean; records: number; problems: { kind: string; seq: number }[] };
  };
  assert.equal(json.ok, false);
  assert.equal(json.chain.records, 300);
  assert.deepEqual(
    json.chain.problems.map(({ kind, seq }) => ({ kind, seq })),
    [{ kind: 'modified', seq: 100 }],
  );
  assert.ok(
    json.problems.some((problem) => problem.kind === 'modified'),
    JSON.stringify(json.problems),
  );
});

test('an install whose chain-check worker module is missing: verify --public-key says the chain check could not start, exit 2, and does not hang', () => {
  // A real broken install: the CLI copied without the worker file, next to the project's node_modules.
  const install = mkdtempSync(join(root, 'install-'));
  const built = join(CLI_PATH, '..', '..');
  cpSync(built, join(install, 'dist', 'src'), { recursive: true });
  cpSync(join(built, '..', '..', 'package.json'), join(install, 'package.json'));
  symlinkSync(join(built, '..', '..', 'node_modules'), join(install, 'node_modules'));
  rmSync(join(install, 'dist', 'src', 'cli', 'chain-check-worker.js'));
  const { dir } = copy();
  const result = spawnSync(
    process.execPath,
    [join(install, 'dist', 'src', 'cli', 'main.js'), 'verify', dir, '--public-key', join(keys, 'audit-signing.pub')],
    { encoding: 'utf8', env: { ...process.env, AUDIT_HMAC_KEY: '' }, timeout: 60_000 },
  );
  assert.equal(result.status, 2, `status ${result.status}, signal ${result.signal}: ${result.stdout}${result.stderr}`);
  assert.match(result.stderr, /^mcp-audit verify: the chain check failed: .*chain-check-worker\.js/m);
  assert.equal(result.stdout, '');
});
