import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { readTrailHead, TrailHeadFile, type TrailHead } from '../../../src/audit/trail/trail-head.js';
import { makeTempDir } from '../../support/trail-files.js';
import { fillDisk } from '../../support/full-disk.js';

// The head file on its own: what it looks like on disk, what its seal covers, and every way a read can fail.
const keyed = new ChainHasher('head-test-key');
const unkeyed = new ChainHasher(undefined);
const dir = makeTempDir('trail-head');
after(() => rmSync(dir, { recursive: true, force: true }));

function aHead(changes: Partial<TrailHead> = {}): TrailHead {
  return {
    version: 1,
    algorithm: keyed.algorithm,
    key_id: keyed.keyId,
    last: { seq: 12, hash: 'ab'.repeat(32) },
    file: 'audit_2026-02-12.jsonl',
    offset: 4096,
    lines: 4,
    ino: 1234,
    start: { seq: 0, hash: '0'.repeat(64) },
    updated_at: '2026-02-12T10:00:03.000Z',
    ...changes,
  };
}

test('a head is written as whole 512-byte blocks of JSON, padded with spaces and ending in a newline, readable only by its owner', () => {
  const path = join(dir, 'blocks.head.json');
  const file = new TrailHeadFile(path);
  file.write(aHead(), keyed, true);
  const bytes = readFileSync(path);
  assert.equal(bytes.length, 512);
  assert.equal(bytes.at(-1), 0x0a);
  const text = bytes.toString('utf8');
  assert.match(text, /^\{.*\} +\n$/);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head: aHead() });

  // A head longer than one block takes two; one that fits again shrinks the file back, leaving nothing of the longer one.
  file.write(aHead({ file: `${'x'.repeat(600)}.jsonl` }), keyed, false);
  assert.equal(statSync(path).size, 1024);
  file.write(aHead({ lines: 5 }), keyed, false);
  assert.equal(statSync(path).size, 512);
  assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head: aHead({ lines: 5 }) });
  file.close();
  file.close(); // closing twice is harmless
});

test('a head file left longer than the head by someone else is cut to the head on the first write', () => {
  const path = join(dir, 'longer.head.json');
  writeFileSync(path, 'z'.repeat(2000));
  const file = new TrailHeadFile(path);
  file.write(aHead(), keyed, false);
  file.close();
  assert.equal(statSync(path).size, 512);
  assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head: aHead() });
});

test('after close the next write opens the path again: a head file removed in between is created again', () => {
  const path = join(dir, 'reopened.head.json');
  const file = new TrailHeadFile(path);
  file.write(aHead(), keyed, true);
  file.close();
  rmSync(path);
  file.write(aHead({ lines: 7 }), keyed, true);
  file.close();
  assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head: aHead({ lines: 7 }) });
});

test('a head that cannot be opened is an error thrown to the writer', () => {
  const file = new TrailHeadFile(join(dir, 'no-such-directory', 'audit.head.json'));
  assert.throws(() => file.write(aHead(), keyed, true), { code: 'ENOENT' });
});

test('a head path that is a link or a directory is refused with the reason, not taken for a missing head and created', () => {
  const linked = join(dir, 'linked.head.json');
  symlinkSync(join(dir, 'elsewhere.json'), linked);
  assert.throws(() => new TrailHeadFile(linked).write(aHead(), keyed, false), { code: 'EAUDITUNTRUSTED', message: /it is a symbolic link/ });
  const directory = join(dir, 'directory.head.json');
  mkdirSync(directory);
  assert.throws(() => new TrailHeadFile(directory).write(aHead(), keyed, false), { code: 'EISDIR' });
  assert.equal(readdirSync(dir).includes('elsewhere.json'), false, 'nothing written where the link points');
});

test('the seal covers every field: changing any one of them, seal kept, makes the head invalid', () => {
  const path = join(dir, 'sealed.head.json');
  const file = new TrailHeadFile(path);
  file.write(aHead(), keyed, false);
  file.close();
  const sealed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const edits: Record<string, unknown>[] = [
    { version: 2 },
    { algorithm: 'sha256' },
    { last: { seq: 11, hash: 'ab'.repeat(32) } },
    { last: { seq: 12, hash: 'cd'.repeat(32) } },
    { file: 'audit_2026-02-11.jsonl' },
    { offset: 4095 },
    { lines: 3 },
    { ino: 1235 },
    { start: { seq: 1, hash: '0'.repeat(64) } },
    { start: { seq: 0, hash: '1'.repeat(64) } },
    { updated_at: '2026-02-12T10:00:04.000Z' },
  ];
  for (const edit of edits) {
    writeFileSync(path, JSON.stringify({ ...sealed, ...edit }));
    assert.deepEqual(
      readTrailHead(path, keyed),
      { status: 'invalid', reason: 'head seal does not match its content', head: { ...aHead(), ...edit } },
      JSON.stringify(edit),
    );
  }
});

test('a read says why a head is not usable: missing, unreadable, not JSON, fields lacking, another key', () => {
  assert.deepEqual(readTrailHead(join(dir, 'absent.head.json'), keyed), { status: 'missing' });

  const directory = join(dir, 'a-directory.head.json');
  mkdirSync(directory);
  const unreadable = readTrailHead(directory, keyed);
  assert.equal(unreadable.status, 'invalid');
  assert.match((unreadable as { reason: string }).reason, /refusing .*a-directory\.head\.json: it is not a regular file/);

  const path = join(dir, 'damaged.head.json');
  writeFileSync(path, '{"version":1,');
  assert.deepEqual(readTrailHead(path, keyed), { status: 'invalid', reason: 'head file is not valid JSON' });
  for (const lacking of [{ ...aHead(), last: undefined, seal: 'x' }, { ...aHead(), start: undefined, seal: 'x' }, aHead()]) {
    writeFileSync(path, JSON.stringify(lacking));
    assert.deepEqual(readTrailHead(path, keyed), { status: 'invalid', reason: 'head file lacks fields' });
  }

  const file = new TrailHeadFile(path);
  file.write(aHead(), keyed, false);
  file.close();
  assert.deepEqual(readTrailHead(path, unkeyed), {
    status: 'invalid',
    head: aHead(),
    reason: `head was sealed with key id ${keyed.keyId}, not none (unkeyed): wrong key?`,
  });
  file.write(aHead({ algorithm: 'sha256', key_id: null }), unkeyed, false);
  file.close();
  assert.deepEqual(readTrailHead(path, keyed), {
    status: 'invalid',
    head: aHead({ algorithm: 'sha256', key_id: null }),
    reason: `head was sealed with key id none (unkeyed), not ${keyed.keyId}: wrong key?`,
  });
  assert.equal(readTrailHead(path, unkeyed).status, 'ok');
});

test('a head of exactly one block of text takes two blocks, so the newline never overwrites its closing brace', () => {
  const path = join(dir, 'exact.head.json');
  const file = new TrailHeadFile(path);
  // The text's length does not depend on the seal's value, only on the fields: make it 511, then 512 bytes.
  const bare = JSON.stringify({ ...aHead({ file: '' }), seal: '0'.repeat(64) }).length;
  for (const [textBytes, fileBytes] of [
    [511, 512],
    [512, 1024],
  ] as const) {
    const head = aHead({ file: 'x'.repeat(textBytes - bare) });
    file.write(head, keyed, false);
    assert.equal(statSync(path).size, fileBytes);
    assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head });
  }
  file.close();
});

test('a head another writer left longer while this one did not hold it is cut to this head when this one writes again', () => {
  const path = join(dir, 'alternating.head.json');
  const mine = new TrailHeadFile(path);
  mine.write(aHead(), keyed, false);
  mine.close(); // the lock goes to another process, whose head is longer
  const theirs = new TrailHeadFile(path);
  theirs.write(aHead({ file: `${'y'.repeat(700)}.jsonl` }), keyed, false);
  theirs.close();
  mine.write(aHead({ lines: 9 }), keyed, false);
  mine.close();
  assert.equal(statSync(path).size, 512);
  assert.deepEqual(readTrailHead(path, keyed), { status: 'ok', head: aHead({ lines: 9 }) });
});

test('one descriptor serves every write while open, and close lets it go: a writer taking the lock again and again leaks none', () => {
  const open = () => readdirSync('/proc/self/fd').length;
  const path = join(dir, 'descriptors.head.json');
  const file = new TrailHeadFile(path);
  const before = open();
  for (let round = 0; round < 5; round++) {
    for (let write = 0; write < 3; write++) file.write(aHead({ lines: write }), keyed, write === 2);
    assert.equal(open(), before + 1);
    file.close();
    assert.equal(open(), before);
  }
});

test('a head write that fails (a full disk) is thrown to the writer, and the descriptor is let go', (t) => {
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  const file = new TrailHeadFile(join(dir, 'full-disk.head.json'));
  t.after(fillDisk(0)); // every write fails, as on a full disk (support/full-disk.ts)
  assert.throws(() => file.write(aHead(), keyed, true), { code: 'EFBIG' });
  assert.equal(open(), before);
});

test('a head planted huge (a sparse file of 1 GiB) is refused unread, as too large to be a head', () => {
  const path = join(makeTempDir('trail-head-huge'), 'audit.head.json');
  writeFileSync(path, '');
  truncateSync(path, 1024 ** 3);
  const read = readTrailHead(path, keyed);
  assert.equal(read.status, 'invalid');
  assert.match(read.status === 'invalid' ? read.reason : '', /larger than 65536 bytes, which a file of this kind never is/);
});
