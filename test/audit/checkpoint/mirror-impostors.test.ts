import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkpointFileName, writeCheckpointFile, writeCheckpointFileAsync } from '../../../src/audit/checkpoint/checkpoint-files.js';
import { Checkpointer } from '../../../src/audit/checkpoint/checkpointer.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir, readTrail } from '../../support/trail-files.js';

// The mirror is not trusted more than the log directory (docs/log-directory.md): a symbolic link planted as the
// mirror directory, as a copy's temporary name or as its final name is refused, naming it, reported as any failed
// copy is (stderr and a checkpoint_mirror_failed record), and never followed: what it points at is not written.
const { privateKey } = generateKeyPairSync('ed25519');
const FIRST = checkpointFileName(1);
const temporaryName = (name: string) => `.${name}.${process.pid}.tmp`;
// The failure record is a line too, so the next checkpoint (size 2) follows it: only the first copy meets the impostor.
const temporaryFiles = (mirror: string) => readdirSync(mirror).filter((name) => name.endsWith('.tmp'));

async function waitFor(what: string, found: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!found()) {
    assert.ok(Date.now() < deadline, `${what} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Setup {
  dir: string;
  mirror: string;
  /** A file outside both directories, which a followed link would overwrite. */
  outside: string;
}

function setup(prefix: string): Setup {
  const root = makeTempDir(prefix);
  const dir = join(root, 'logs');
  const mirror = join(root, 'mirror');
  mkdirSync(mirror, { mode: 0o700 });
  mkdirSync(join(root, 'elsewhere'));
  const outside = join(root, 'elsewhere', 'precious');
  writeFileSync(outside, 'not to be written\n');
  return { dir, mirror, outside };
}

/** Appends one record with a checkpoint signed after every line; resolves with the failed copy's record. */
async function signOneAndWaitForMirror(dir: string, mirror: string, plant: () => void): Promise<string> {
  const checkpointer = new Checkpointer(dir, { privateKey, origin: 'mirror.example/trail', every: 1, intervalMs: 60_000, mirror });
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('mirror-impostors-key'), checkpointer });
  // Each failed copy is a line, which is signed and copied in turn: only closing the writer ends that.
  try {
    plant();
    await writer.append(auditRecord(1));
    const failure = () => readTrail(dir).find((record) => record.action === 'checkpoint_mirror_failed')?.error ?? null;
    await waitFor('a checkpoint_mirror_failed record', () => failure() !== null);
    return failure()!;
  } finally {
    writer.close();
  }
}

test('a link planted as the temporary name of a mirror copy is refused, left in place, and its target not written', async () => {
  const { dir, mirror, outside } = setup('mirror-impostor-temporary');
  const planted = join(mirror, temporaryName(FIRST));
  const error = await signOneAndWaitForMirror(dir, mirror, () => symlinkSync(outside, planted));
  assert.equal(
    error,
    `checkpoint ${FIRST} not copied to ${mirror}: audit: refusing ${planted}: it is a symbolic link; the writer never follows or writes an impostor in its log directory (move it aside)`,
  );
  assert.equal(readFileSync(outside, 'utf8'), 'not to be written\n');
  assert.ok(lstatSync(planted).isSymbolicLink(), 'the impostor is left where it is');
  assert.deepEqual(temporaryFiles(mirror), [temporaryName(FIRST)]);
});

test('a link planted as the final name of a mirror copy is refused, naming it, and its target neither read as a checkpoint nor written', async () => {
  const { dir, mirror, outside } = setup('mirror-impostor-final');
  const planted = join(mirror, FIRST);
  const error = await signOneAndWaitForMirror(dir, mirror, () => symlinkSync(outside, planted));
  assert.match(error, new RegExp(`^checkpoint ${FIRST} not copied to ${mirror}: audit: refusing ${planted}: it is a symbolic link;`));
  assert.equal(readFileSync(outside, 'utf8'), 'not to be written\n');
  assert.deepEqual(temporaryFiles(mirror), [], 'no temporary file left');
});

test('a link put in the place of the mirror directory after the writer started is refused, and nothing is written where it points', async () => {
  const { dir, mirror, outside } = setup('mirror-impostor-directory');
  const elsewhere = join(outside, '..');
  const error = await signOneAndWaitForMirror(dir, mirror, () => {
    renameSync(mirror, `${mirror}.moved`);
    symlinkSync(elsewhere, mirror);
  });
  assert.equal(
    error,
    `checkpoint ${FIRST} not copied to ${mirror}: audit: refusing ${mirror}: it is a symbolic link, not a directory; the writer never follows or writes an impostor in its log directory (move it aside)`,
  );
  assert.deepEqual(readdirSync(elsewhere), ['precious']);
});

test('a link configured as the mirror when the writer starts is the operator’s choice: copies land in the directory it names', async () => {
  const { dir, mirror } = setup('mirror-configured-link');
  const link = join(mirror, '..', 'mirror-link');
  symlinkSync(mirror, link);
  const checkpointer = new Checkpointer(dir, { privateKey, origin: 'mirror.example/trail', every: 1, intervalMs: 60_000, mirror: link });
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('mirror-impostors-key'), checkpointer });
  try {
    await writer.append(auditRecord(1));
    // The copy is asynchronous: close does not wait for it.
    await waitFor('the copy in the mirror', () => existsSync(join(mirror, FIRST)) && temporaryFiles(mirror).length === 0);
  } finally {
    writer.close();
  }
  assert.equal(readFileSync(join(mirror, FIRST), 'utf8'), readFileSync(join(dir, 'checkpoints', FIRST), 'utf8'));
  assert.deepEqual(temporaryFiles(mirror), []);
  assert.equal(readTrail(dir).filter((record) => record.action === 'checkpoint_mirror_failed').length, 0);
});

test('the synchronous copy (a clean close) refuses a link planted as its temporary name too, and leaves it in place', () => {
  const { mirror, outside } = setup('mirror-impostor-sync');
  const planted = join(mirror, temporaryName(FIRST));
  symlinkSync(outside, planted);
  assert.throws(() => writeCheckpointFile(mirror, FIRST, 'a note\n'), { message: new RegExp(`^audit: refusing ${planted}: it is a symbolic link;`) });
  assert.equal(readFileSync(outside, 'utf8'), 'not to be written\n');
  assert.ok(lstatSync(planted).isSymbolicLink());
});

test('a file of ours left at the temporary name by a crash (a process with the same pid) is removed, even as a second name of the checkpoint, and the copy is made', async () => {
  const { mirror } = setup('mirror-leftover');
  const second = checkpointFileName(2);
  // Killed between the link and the unlink: the temporary name is a second name of the checkpoint it made.
  writeFileSync(join(mirror, FIRST), 'note 1\n');
  linkSync(join(mirror, FIRST), join(mirror, temporaryName(FIRST)));
  // Killed mid-write: half a note under the temporary name.
  writeFileSync(join(mirror, temporaryName(second)), 'half a no');
  assert.equal(await writeCheckpointFileAsync(mirror, FIRST, 'note 1\n'), true);
  assert.equal(writeCheckpointFile(mirror, second, 'note 2\n'), true);
  assert.equal(readFileSync(join(mirror, second), 'utf8'), 'note 2\n');
  assert.deepEqual(temporaryFiles(mirror), []);
});
