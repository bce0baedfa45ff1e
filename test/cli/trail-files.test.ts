import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { listTrailFiles, readTrailLines, type TrailLine } from '../../src/cli/trail-files.js';
import { makeTempDir } from '../support/trail-files.js';

async function collect(lines: AsyncGenerator<TrailLine>): Promise<TrailLine[]> {
  const all: TrailLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

test('lists trail files oldest first, parts in order, gzipped ones included, others ignored', () => {
  const dir = makeTempDir('cli-files');
  for (const name of [
    'audit_2026-01-16.jsonl',
    'audit_2026-01-15.2.jsonl',
    'audit_2026-01-15.jsonl.gz',
    'audit_2026-01-15.1.jsonl',
    'notes.txt',
    'audit_latest.jsonl',
  ]) {
    writeFileSync(join(dir, name), '');
  }
  assert.deepEqual(
    listTrailFiles(dir).map((file) => file.name),
    ['audit_2026-01-15.jsonl.gz', 'audit_2026-01-15.1.jsonl', 'audit_2026-01-15.2.jsonl', 'audit_2026-01-16.jsonl'],
  );
});

test("rotated files (logrotate numbered, dateext, extension) are listed in chain order, by their first record's seq, gzip known by content", () => {
  const dir = makeTempDir('cli-files');
  const first = (seq: number) => `{"seq":${seq},"prev_hash":"${'0'.repeat(64)}","hash":"x"}\n`;
  writeFileSync(join(dir, 'audit_2026-01-15.jsonl.2.gz'), gzipSync(first(1)));
  writeFileSync(join(dir, 'audit_2026-01-15.jsonl.1'), first(5));
  writeFileSync(join(dir, 'audit_2026-01-15.jsonl'), first(9));
  writeFileSync(join(dir, 'audit_2026-01-16.jsonl-20260116'), first(12));
  writeFileSync(join(dir, 'audit_2026-01-16-20260117.jsonl'), first(14));
  writeFileSync(join(dir, 'audit_2026-01-16.jsonl'), '');
  writeFileSync(join(dir, 'audit_2026-01-16.jsonl.gz.tmp'), '');
  // Misnamed by hand: the chain, not the name, decides the order; files without records keep their name's place.
  writeFileSync(join(dir, 'audit_2026-01-17.jsonl.9'), first(3));
  assert.deepEqual(
    listTrailFiles(dir).map((file) => [file.name, file.compression]),
    [
      ['audit_2026-01-15.jsonl.2.gz', 'gzip'],
      ['audit_2026-01-17.jsonl.9', 'none'],
      ['audit_2026-01-15.jsonl.1', 'none'],
      ['audit_2026-01-15.jsonl', 'none'],
      ['audit_2026-01-16.jsonl-20260116', 'none'],
      ['audit_2026-01-16.jsonl', 'none'],
      ['audit_2026-01-16-20260117.jsonl', 'none'],
    ],
  );
});

test('reads plain and gzipped files alike and flags a torn last line', async () => {
  const dir = makeTempDir('cli-files');
  const text = '{"a":1}\n{"a":2}\n{"a":3,"to';
  writeFileSync(join(dir, 'audit_2026-01-15.jsonl'), text);
  writeFileSync(join(dir, 'audit_2026-01-16.jsonl.gz'), gzipSync(text));
  for (const file of listTrailFiles(dir)) {
    const lines = await collect(readTrailLines(file));
    assert.deepEqual(
      lines.map((line) => [line.lineNumber, line.text, line.terminated]),
      [
        [1, '{"a":1}', true],
        [2, '{"a":2}', true],
        [3, '{"a":3,"to', false],
      ],
    );
  }
});

test('a last line a writer completes just after the read reached it comes back whole, its characters too', async () => {
  const dir = makeTempDir('cli-files');
  const path = join(dir, 'audit_2026-01-15.jsonl');
  const line3 = Buffer.from('{"a":3,"name":"é"}\n');
  const cut = line3.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
  writeFileSync(path, Buffer.concat([Buffer.from('{"a":1}\n{"a":2}\n'), line3.subarray(0, cut)]));
  const read: TrailLine[] = [];
  for await (const line of readTrailLines(listTrailFiles(dir)[0]!)) {
    // The read has its first chunk: the write(2) in flight ends a few ms later, as a writer's would under load.
    if (read.length === 0) setTimeout(() => appendFileSync(path, Buffer.concat([line3.subarray(cut), Buffer.from('{"a":4}\n')])), 5);
    read.push(line);
  }
  assert.deepEqual(
    read.slice(0, 3).map((line) => [line.lineNumber, line.text, line.terminated]),
    [
      [1, '{"a":1}', true],
      [2, '{"a":2}', true],
      [3, '{"a":3,"name":"é"}', true],
    ],
  );
});

test('lines split across read chunks come back whole, characters of several bytes included', async () => {
  const dir = makeTempDir('cli-files');
  const lines = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 50), name: 'é€😀'.repeat(i % 7) }));
  writeFileSync(join(dir, 'audit_2026-01-15.jsonl'), lines.join('\n') + '\n');
  const read = await collect(readTrailLines(listTrailFiles(dir)[0]!));
  assert.deepEqual(
    read.map((line) => line.text),
    lines,
  );
  assert.ok(read.every((line) => line.terminated));
});
