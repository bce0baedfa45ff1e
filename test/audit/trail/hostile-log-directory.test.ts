import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';
import { runCli } from '../../support/cli.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const KEY = 'hostile-directory-key';
const hasher = new ChainHasher(KEY);
const day = '2026-05-01';
const at = (second: number) => `${day}T09:00:0${second}.000Z`;

/** A log directory and, beside it, a file the writer must never touch (what a planted link points at). */
function setting(name: string) {
  const root = makeTempDir(name);
  const dir = join(root, 'logs');
  mkdirSync(dir, { mode: 0o700 });
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'precious\n', { mode: 0o644 });
  const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${day}T09:00:09.000Z`) });
  return { root, dir, victim, writer, dayFile: join(dir, `audit_${day}.jsonl`) };
}

function verifies(dir: string): void {
  const result = runCli(['verify', dir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(result.status, 0, result.stdout + result.stderr);
}

function unchanged(victim: string): void {
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.equal(statSync(victim).mode & 0o777, 0o644, 'its mode is not changed either');
}

/** The refused record came late after an `audit_gap`, the next one on time, and the chain verifies. */
function recoveredAfterGap(dir: string): void {
  assert.deepEqual(
    readTrail(dir).map((record) => [record.action, record.late]),
    [
      ['audit_gap', undefined],
      ['tool_call', true],
      ['tool_call', undefined],
    ],
  );
  verifies(dir);
}

test('a day file planted as a symbolic link is refused, naming it; nothing reaches its target; once moved aside the records follow late after an audit_gap', async () => {
  const { dir, victim, writer, dayFile } = setting('hostile-symlink');
  symlinkSync(victim, dayFile);
  await assert.rejects(
    writer.append(auditRecord(1, at(1))),
    (error: Error) => error.message.includes(dayFile) && /symbolic link/.test(error.message),
  );
  unchanged(victim);
  unlinkSync(dayFile); // the operator moves the impostor aside
  await writer.append(auditRecord(2, at(2)));
  writer.close();
  unchanged(victim);
  const records = readTrail(dir);
  assert.deepEqual(
    records.map((record) => [record.action, record.request_id, record.late]),
    [
      ['audit_gap', null, undefined],
      ['tool_call', '1', true],
      ['tool_call', '2', undefined],
    ],
  );
  assert.match(records[0]!.error ?? '', /symbolic link/);
  verifies(dir);
});

test('a day file that is a hard link to a file elsewhere is refused: the writer never appends to a file with another name', async () => {
  const { dir, victim, writer, dayFile } = setting('hostile-hardlink');
  linkSync(victim, dayFile);
  await assert.rejects(writer.append(auditRecord(1, at(1))), (error: Error) => error.message.includes(dayFile) && /2 hard links/.test(error.message));
  unchanged(victim);
  unlinkSync(dayFile);
  await writer.append(auditRecord(2, at(2)));
  writer.close();
  unchanged(victim);
  recoveredAfterGap(dir);
});

test('a FIFO planted as the day file is refused at once instead of blocking the writer', async () => {
  const { dir, writer, dayFile } = setting('hostile-fifo');
  execFileSync('mkfifo', [dayFile]);
  await assert.rejects(
    writer.append(auditRecord(1, at(1))),
    (error: Error) => error.message.includes(dayFile) && /not a regular file/.test(error.message),
  );
  unlinkSync(dayFile);
  await writer.append(auditRecord(2, at(2)));
  writer.close();
  recoveredAfterGap(dir);
});

test('a head planted as a symbolic link is moved aside, never written through; the writer makes its own and a recovery record says so', async () => {
  const { dir, victim, writer } = setting('hostile-head');
  const head = join(dir, 'audit.head.json');
  symlinkSync(victim, head);
  await writer.append(auditRecord(1, at(1)));
  writer.close();
  unchanged(victim);
  const [recovery, call] = readTrail(dir);
  assert.equal(recovery!.action, 'recovery');
  const moved = recovery!.input_summary['impostor_moved'] as { path: string; moved_to: string; was: string };
  assert.deepEqual([moved.path, moved.was], [head, 'a symbolic link']);
  assert.equal(readFileSync(moved.moved_to, 'utf8'), 'precious\n', 'the link itself, moved, still pointing where it did');
  assert.equal(call!.request_id, '1');
  assert.ok(statSync(head).isFile() && !readFileSync(head, 'utf8').includes('precious'));
  const next = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${day}T09:00:09.000Z`) });
  await next.append(auditRecord(2, at(2)));
  next.close();
  unchanged(victim);
  verifies(dir);
});

test('a lock planted as a symbolic link is refused, naming it; the directory it points at is left alone', async () => {
  const { root, dir, writer } = setting('hostile-lock');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(elsewhere);
  symlinkSync(elsewhere, join(dir, 'audit.lock'));
  await assert.rejects(
    writer.append(auditRecord(1, at(1))),
    (error: Error) => error.message.includes(join(dir, 'audit.lock')) && /symbolic link/.test(error.message),
  );
  writer.close();
  assert.deepEqual(readdirSync(elsewhere), []);
  assert.ok(existsSync(join(dir, 'audit.lock')), 'refused, not removed: the operator looks at it');
});

test('loose permissions on the directory, the day file and the head are tightened to 0700/0600, and a permissions_tightened record says so', async () => {
  const { dir, writer, dayFile } = setting('hostile-modes');
  await writer.append(auditRecord(1, at(1)));
  writer.close();
  chmodSync(dir, 0o755);
  chmodSync(dayFile, 0o644);
  chmodSync(join(dir, 'audit.head.json'), 0o666);
  const next = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${day}T09:00:09.000Z`) });
  await next.append(auditRecord(2, at(2)));
  next.close();
  assert.deepEqual(
    [statSync(dir).mode & 0o777, statSync(dayFile).mode & 0o777, statSync(join(dir, 'audit.head.json')).mode & 0o777],
    [0o700, 0o600, 0o600],
  );
  const tightened = readTrail(dir).filter((record) => record.action === 'permissions_tightened');
  const paths = tightened.flatMap((record) =>
    (record.input_summary['tightened'] as Array<{ path: string; mode_before: string }>).map((entry) => [entry.path, entry.mode_before]),
  );
  assert.deepEqual(
    paths.sort(),
    [
      [dir, '755'],
      [dayFile, '644'],
      [join(dir, 'audit.head.json'), '666'],
    ].sort(),
  );
  verifies(dir);
});

test('the log directory replaced by a symbolic link while the writer runs: the writer keeps to the directory it resolved at start', async () => {
  const { root, dir, writer, dayFile } = setting('hostile-dir-swap');
  await writer.append(auditRecord(1, at(1)));
  // Wait for the writer to go idle, so the swap happens between its commits.
  await writerWentIdle(writer);
  const decoy = join(root, 'decoy');
  mkdirSync(decoy);
  renameSync(dir, join(root, 'logs.real'));
  symlinkSync(decoy, dir);
  const locksTaken = writer.stats.locksTaken;
  await assert.rejects(writer.append(auditRecord(2, at(2))), (error: Error) => error.message.includes(dir) && /symbolic link/.test(error.message));
  writer.close();
  assert.equal(writer.stats.locksTaken, locksTaken, 'not even the lock is taken through the planted link');
  assert.deepEqual(readdirSync(decoy), [], 'nothing written through the planted link');
  unlinkSync(dir);
  renameSync(join(root, 'logs.real'), dir);
  assert.ok(readFileSync(dayFile, 'utf8').includes('"request_id":"1"'));
  verifies(dir);
});
