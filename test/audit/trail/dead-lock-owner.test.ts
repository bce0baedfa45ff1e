import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { verifyTrail } from '../../../src/cli/trail-verifier.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { startWriter } from '../../support/writer-process.js';

// The children's key (trail-writer-child.ts), so that one trail holds both.
const hasher = new ChainHasher('child-key');

/** Milliseconds a writer with the default 10 s stale time takes to write one record into `dir`. */
async function timeToWrite(dir: string): Promise<number> {
  const writer = new ChainedTrailWriter({ directory: dir, hasher });
  const started = Date.now();
  await writer.append(auditRecord(1));
  writer.close();
  return Date.now() - started;
}

async function holdingTheLock(dir: string) {
  // `hang`: the child writes 50 records, then blocks its event loop with the lock held, until killed.
  const child = startWriter(dir, 'holder', 50, 0, 'hang');
  await child.ackedAtLeast(50);
  assert.ok(readdirSync(dir).includes('audit.lock'));
  return child;
}

test('a lock left by a SIGKILLed writer on this host is taken over at once, not after the stale time', { timeout: 60_000 }, async () => {
  const dir = makeTempDir('dead-owner');
  const child = await holdingTheLock(dir);
  const owner = JSON.parse(readFileSync(join(dir, 'audit.lock', 'owner.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(owner['pid'], child.process.pid);
  assert.equal(owner['hostname'], hostname());
  child.process.kill('SIGKILL');
  await child.exited;
  const waited = await timeToWrite(dir);
  assert.ok(waited < 2000, `waited ${waited} ms for a dead writer's lock`);
  const report = await verifyTrail(dir, { hasher });
  assert.deepEqual(report.problems, []);
  assert.equal(report.records, 51);
});

test('a lock whose owner is alive is waited for: the takeover happens only once it is dead', { timeout: 60_000 }, async () => {
  const dir = makeTempDir('live-owner');
  const child = await holdingTheLock(dir);
  const writing = timeToWrite(dir);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.ok(readdirSync(dir).includes('audit.lock'), 'the live owner kept its lock');
  assert.equal(readFileSync(join(dir, 'audit.lock', 'owner.json'), 'utf8').includes(`"pid":${child.process.pid}`), true);
  child.process.kill('SIGKILL');
  await child.exited;
  const waited = await writing;
  assert.ok(waited >= 1500 && waited < 4000, `waited ${waited} ms`);
  assert.deepEqual((await verifyTrail(dir, { hasher })).problems, []);
});

test('a reused pid is not taken for the owner; an owner on another host is waited for until the lock is stale', { timeout: 60_000 }, async () => {
  const reused = makeTempDir('reused-pid');
  mkdirSync(join(reused, 'audit.lock'), { mode: 0o700 });
  // This very process is alive, but it is not the process that took the lock: its start marker differs.
  writeFileSync(
    join(reused, 'audit.lock', 'owner.json'),
    JSON.stringify({ pid: process.pid, hostname: hostname(), pid_namespace: readlinkSync('/proc/self/ns/pid'), start: 'another-boot:1' }),
  );
  assert.ok((await timeToWrite(reused)) < 2000);

  const remote = makeTempDir('remote-owner');
  mkdirSync(join(remote, 'audit.lock'), { mode: 0o700 });
  writeFileSync(
    join(remote, 'audit.lock', 'owner.json'),
    JSON.stringify({ pid: 999_999_999, hostname: `not-${hostname()}`, pid_namespace: null, start: null }),
  );
  const writer = new ChainedTrailWriter({ directory: remote, hasher, lockStaleMs: 2000 });
  const started = Date.now();
  await writer.append(auditRecord(1));
  writer.close();
  assert.ok(Date.now() - started >= 1500, 'another host may still hold it: wait for the stale time');
});
