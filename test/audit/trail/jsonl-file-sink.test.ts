import assert from 'node:assert/strict';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonlFileSink, PartialWriteError } from '../../../src/audit/trail/jsonl-file-sink.js';
import { fillDisk, FULL_DISK_ERROR } from '../../support/full-disk.js';
import { makeTempDir } from '../../support/trail-files.js';

test('creates the directory 0700 and files 0600', () => {
  const dir = join(makeTempDir('sink'), 'nested', 'logs');
  const sink = new JsonlFileSink(dir);
  sink.append('a.jsonl', Buffer.from('{}\n'), null);
  sink.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'a.jsonl')).mode & 0o777, 0o600);
});

test('switches files and returns to a file without losing its tail', () => {
  const dir = makeTempDir('sink');
  const sink = new JsonlFileSink(dir);
  sink.append('a.jsonl', Buffer.from('1\n'), null);
  sink.append('b.jsonl', Buffer.from('2\n'), null);
  sink.append('a.jsonl', Buffer.from('3\n'), null);
  sink.close();
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), '1\n3\n');
  assert.equal(readFileSync(join(dir, 'b.jsonl'), 'utf8'), '2\n');
});

test('a descriptor to a file moved away is reopened when the path names another inode', () => {
  const dir = makeTempDir('sink');
  const sink = new JsonlFileSink(dir);
  const first = sink.append('a.jsonl', Buffer.from('1\n'), null);
  renameSync(join(dir, 'a.jsonl'), join(dir, 'a.jsonl.moved'));
  writeFileSync(join(dir, 'a.jsonl'), '');
  const second = sink.append('a.jsonl', Buffer.from('2\n'), statSync(join(dir, 'a.jsonl')).ino);
  sink.close();
  assert.notEqual(first, second);
  assert.equal(readFileSync(join(dir, 'a.jsonl.moved'), 'utf8'), '1\n');
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), '2\n');
});

test('a write that fails part-way (a full disk) throws with the bytes written, and the sink keeps working once space returns', (t) => {
  const dir = makeTempDir('sink');
  const sink = new JsonlFileSink(dir);
  const ino = sink.append('a.jsonl', Buffer.from('ok\n'), null);
  const spaceReturns = fillDisk(5);
  t.after(spaceReturns);
  assert.throws(
    () => sink.append('a.jsonl', Buffer.from('{"lost":true}\n'), ino),
    (error: unknown) => error instanceof PartialWriteError && error.written === 2 && FULL_DISK_ERROR.test(error.message),
  );
  spaceReturns();
  sink.append('a.jsonl', Buffer.from('\nok\n'), ino);
  sink.close();
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), 'ok\n{"\nok\n');
});

test('prepare throws, naming the problem, when the directory cannot be created', () => {
  const parent = makeTempDir('sink');
  writeFileSync(join(parent, 'not-a-dir'), '');
  const sink = new JsonlFileSink(join(parent, 'not-a-dir', 'logs'));
  assert.throws(() => sink.prepare('a.jsonl'), /ENOTDIR|EEXIST/);
});

test('append after close is refused', () => {
  const sink = new JsonlFileSink(makeTempDir('sink'));
  sink.close();
  assert.throws(() => sink.append('a.jsonl', Buffer.from('x\n'), null), /closed/);
});

test('sync() also makes new names durable: each directory it created or opened a file in is fsynced once, not per sync', () => {
  const root = makeTempDir('sink');
  const dir = join(root, 'nested', 'logs');
  const sink = new JsonlFileSink(dir);
  const ino = sink.append('a.jsonl', Buffer.from('1\n'), null);
  assert.equal(sink.directorySyncs, 0, 'nothing is fsynced unless asked (AUDIT_FSYNC=off)');
  sink.sync();
  // logs (holds a.jsonl), nested (holds logs), root (holds nested).
  assert.equal(sink.directorySyncs, 3);
  sink.append('a.jsonl', Buffer.from('2\n'), ino);
  sink.sync();
  assert.equal(sink.directorySyncs, 3, 'a file already synced by name costs no directory fsync');
  sink.append('b.jsonl', Buffer.from('3\n'), null);
  sink.sync();
  assert.equal(sink.directorySyncs, 4, 'a new file (a new day or part): its directory once more');
  sink.close();
});
