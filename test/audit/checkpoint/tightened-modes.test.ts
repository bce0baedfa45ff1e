import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Checkpointer } from '../../../src/audit/checkpoint/checkpointer.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';
import { runCli } from '../../support/cli.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';

const KEY = 'tightened-checkpoints-key';
// One day file per writer: audit.tree-starts.jsonl is written when the tree crosses into a new file.
const at = (day: number) => `2026-05-0${day}T09:00:00.000Z`;
const { privateKey } = generateKeyPairSync('ed25519');

function signingWriter(dir: string, day: number): ChainedTrailWriter {
  const checkpointer = new Checkpointer(dir, { privateKey, origin: 'tightened.example/trail', every: 1, intervalMs: 60_000, mirror: null });
  return new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher(KEY), checkpointer, now: () => new Date(at(day)) });
}

test('loose modes on audit.tree.json, audit.tree-starts.jsonl and checkpoints/ are tightened, and a permissions_tightened record says so', async () => {
  const dir = join(makeTempDir('tightened-checkpoints'), 'logs');
  mkdirSync(dir, { mode: 0o700 });
  for (const day of [1, 2]) {
    const writer = signingWriter(dir, day);
    await writer.append(auditRecord(day, at(day)));
    writer.close();
  }
  const treeState = join(dir, 'audit.tree.json');
  const treeStarts = join(dir, 'audit.tree-starts.jsonl');
  const checkpoints = join(dir, 'checkpoints');
  chmodSync(treeState, 0o644);
  chmodSync(treeStarts, 0o664);
  chmodSync(checkpoints, 0o755);

  const next = signingWriter(dir, 3);
  await next.append(auditRecord(3, at(3)));
  await next.append(auditRecord(4, at(3)));
  next.close();
  assert.deepEqual(
    [treeState, treeStarts, checkpoints].map((path) => statSync(path).mode & 0o777),
    [0o600, 0o600, 0o700],
  );
  const tightened = readTrail(dir)
    .filter((record) => record.action === 'permissions_tightened')
    .flatMap((record) =>
      (record.input_summary['tightened'] as Array<{ path: string; mode_before: string }>).map((entry) => [entry.path, entry.mode_before]),
    );
  assert.deepEqual(
    tightened.sort(),
    [
      [checkpoints, '755'],
      [treeStarts, '664'],
      [treeState, '644'],
    ].sort(),
  );
  const verified = runCli(['verify', dir], { AUDIT_HMAC_KEY: KEY });
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
});
