import assert from 'node:assert/strict';
import { realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { onlyThisHostWrites } from '../../../src/audit/trail/host-local-filesystem.js';
import { straceVersion, traceNode, type Syscall } from '../../support/strace.js';
import { makeTempDir } from '../../support/trail-files.js';

// An idle writer costs nothing: a real writer process (idle-writer-child.ts) sits idle, holding the lock, under strace.
const child = fileURLToPath(new URL('../../support/idle-writer-child.js', import.meta.url));
const SYSCALLS = ['openat', 'write', 'pwrite64', 'close', 'statx', 'newfstatat'];
const IDLE_MS = 600;

before(() => {
  straceVersion();
});

test('an idle writer alone, on a filesystem only this host writes, sets no timer: nothing in its directory until the next record', async (t) => {
  const root = realpathSync(makeTempDir('idle-writer'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  if (!onlyThisHostWrites(root)) {
    t.skip(`${root} may be shared with other hosts: an idle writer polls there`);
    return;
  }
  const logDir = join(root, 'logs');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUDIT_')));
  const { stdout, calls } = await traceNode(join(root, 'trace'), SYSCALLS, child, [logDir, String(IDLE_MS)], env, 60_000);
  assert.equal(stdout, 'answered 1\nidle over\nanswered 2\nclosed\n');
  const said = (text: string): number => calls.findIndex((call) => call.name === 'write' && call.args.includes(`"${text}\\n"`));
  const inLogDir = (call: Syscall): boolean => call.path?.startsWith(`${logDir}/`) === true || call.args.includes(`"${logDir}/`);
  const spell = calls.slice(said('answered 1') + 1, said('idle over')).filter(inLogDir);
  const described = spell.map((call) => `${call.name}(${call.args.slice(0, 120)})`).join('\n');
  // Right after the answer, in the same wakeup: the head saved if it lags, and let go. Then nothing: no poll of the lock or its note.
  const head = join(logDir, 'audit.head.json');
  assert.ok(
    spell.every((call) => call.path === head || call.args.includes(`"${head}"`)),
    `only the head's save while idle:\n${described}`,
  );
  assert.ok(
    spell.some((call) => call.name === 'close' && call.path === head),
    `the head let go as the writer went idle:\n${described}`,
  );
});
