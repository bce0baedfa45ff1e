import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { JsonlFileSink } from '../../src/audit/jsonl-file-sink.js';
import { makeTempDir } from '../support/trail-files.js';

test('appends pending at the same time keep their order in one file', async () => {
  const dir = join(makeTempDir('sink'), 'nested', 'logs');
  const sink = new JsonlFileSink(dir);
  const lines = Array.from({ length: 500 }, (_, i) => `{"n":${i}}\n`);
  await Promise.all(lines.map((line) => sink.append('a.jsonl', line)));
  sink.close();
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), lines.join(''));
});

test('creates the directory 0700 and files 0600', async () => {
  const dir = join(makeTempDir('sink'), 'logs');
  const sink = new JsonlFileSink(dir);
  await sink.append('a.jsonl', '{}\n');
  sink.close();
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'a.jsonl')).mode & 0o777, 0o600);
});

test('a torn last line left by a crash is closed off before the next record', async () => {
  const dir = makeTempDir('sink');
  writeFileSync(join(dir, 'a.jsonl'), '{"n":1}\n{"n":2,"torn');
  const sink = new JsonlFileSink(dir);
  await sink.append('a.jsonl', '{"n":3}\n');
  sink.close();
  assert.deepEqual(readFileSync(join(dir, 'a.jsonl'), 'utf8').split('\n'), ['{"n":1}', '{"n":2,"torn', '{"n":3}', '']);
});

test('records switch files and return to a file without losing its tail', async () => {
  const dir = makeTempDir('sink');
  const sink = new JsonlFileSink(dir);
  await Promise.all([sink.append('a.jsonl', '1\n'), sink.append('b.jsonl', '2\n'), sink.append('a.jsonl', '3\n')]);
  sink.close();
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), '1\n3\n');
  assert.equal(readFileSync(join(dir, 'b.jsonl'), 'utf8'), '2\n');
});

test('a write that fails (ENOSPC on /dev/full) rejects its appends, and the sink keeps working', async () => {
  const fullDisk = new JsonlFileSink('/dev');
  await assert.rejects(fullDisk.append('full', '{"lost":true}\n'), /ENOSPC/);
  const dir = makeTempDir('sink');
  const sink = new JsonlFileSink(dir);
  await sink.append('a.jsonl', 'ok\n');
  sink.close();
  assert.equal(readFileSync(join(dir, 'a.jsonl'), 'utf8'), 'ok\n');
});

test('prepare throws, naming the problem, when the directory cannot be created', () => {
  const parent = makeTempDir('sink');
  writeFileSync(join(parent, 'not-a-dir'), '');
  const sink = new JsonlFileSink(join(parent, 'not-a-dir', 'logs'));
  assert.throws(() => sink.prepare('a.jsonl'), /ENOTDIR|EEXIST/);
});

test('append after close is refused', async () => {
  const sink = new JsonlFileSink(makeTempDir('sink'));
  sink.close();
  await assert.rejects(sink.append('a.jsonl', 'x\n'), /closed/);
});
