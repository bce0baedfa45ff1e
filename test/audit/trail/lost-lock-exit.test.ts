import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CrossProcessLock } from '../../../src/audit/trail/cross-process-lock.js';
import { waitFor } from '../../support/helpdesk-process.js';
import { makeTempDir } from '../../support/trail-files.js';

const child = fileURLToPath(new URL('../../support/frozen-holder-child.js', import.meta.url));

// A writer that finds its lock taken over (it froze past the stale time) lets its taking go without proper-lockfile,
// whose exit handler keeps an entry for the path until the lost taking's refresh timer runs. A process exiting before
// that timer ran must not remove, through that entry, the lock the other process holds now: a third writer could
// then take it too, and two writers would interleave in one chain.
test('a writer that lost its lock while frozen and exits at once leaves the new holder its lock', async (t) => {
  const dir = makeTempDir('lost-lock-exit');
  const frozen = spawn(process.execPath, [child, dir, '6000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => frozen.kill('SIGKILL'));
  let output = '';
  frozen.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => frozen.on('exit', resolve));
  await waitFor(() => output.includes('idle'), 'the child to keep the lock idle');

  // Frozen, the child refreshes its lock no more: this process takes it as stale (2 s) while the child still sleeps.
  const lock = new CrossProcessLock(join(dir, 'audit.lock'), 2000);
  await waitFor(() => lock.tryAcquire(), 'the frozen lock to go stale', 5500);
  t.after(() => lock.unlock());

  assert.equal(await exited, 0);
  assert.match(output, /leases lost 1/);
  assert.ok(existsSync(lock.path) && lock.stillOwned(), 'the lock taken over is still this process’s after the other exited');
});
