// The committer's repairs while it holds the lock: a file changed under it by a program that ignores the lock is
// checked before the next write, reported in a recovery record and written after, at its actual end. And retention,
// which without AUDIT_RETENTION_DAYS is never planned at all.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AuditRecord } from '../../../src/audit/record/audit-record.js';
import { ChainedTrailWriter } from '../../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../../support/chained-trail.js';
import { makeTempDir } from '../../support/trail-files.js';
import { writerWentIdle } from '../../support/writer-idle.js';

const hasher = new ChainHasher('committer-repairs-key');
const DAY = '2026-05-01';
const FILE = `audit_${DAY}.jsonl`;

/** The file's lines as [action, request_id] for records, or the raw text of any other line. */
function lines(dir: string, file = FILE): (string | [string, string | null])[] {
  return readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      try {
        const record = JSON.parse(line) as AuditRecord;
        return [record.action, record.request_id];
      } catch {
        return line;
      }
    });
}

function recoveries(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, FILE), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"action":"recovery"'))
    .map((line) => (JSON.parse(line) as AuditRecord).input_summary as Record<string, unknown>);
}

/**
 * A writer whose clock, while `foreignLines` is above zero, also appends one line to the day's file each time it is
 * read: another program writing without the lock at the moments the writer is busy repairing (it reads the clock
 * for the repair's head and recovery record), so the file keeps changing under it within one commit.
 */
function writerWithBusyNeighbour(dir: string): { writer: ChainedTrailWriter; neighbour: { foreignLines: number } } {
  const neighbour = { foreignLines: 0 };
  const writer = new ChainedTrailWriter({
    directory: dir,
    hasher,
    now: () => {
      if (neighbour.foreignLines > 0) appendFileSync(join(dir, FILE), `foreign ${neighbour.foreignLines--}\n`);
      return new Date(`${DAY}T12:00:00.000Z`);
    },
  });
  return { writer, neighbour };
}

test('a file that keeps changing under the writer within one commit is repaired twice, then written at its actual end, where the next commit finds it', async () => {
  const dir = makeTempDir('committer-repairs-twice');
  const { writer, neighbour } = writerWithBusyNeighbour(dir);
  await writer.append(auditRecord(1, `${DAY}T12:00:00.000Z`));
  await writerWentIdle(writer); // still holding the lock: the next commit looks at the file first
  appendFileSync(join(dir, FILE), 'foreign 5\n');
  neighbour.foreignLines = 4;
  await writer.append(auditRecord(2, `${DAY}T12:00:01.000Z`));
  assert.equal(neighbour.foreignLines, 0);
  // Two repairs, each with its recovery record; the third change is not chased further (the writer would otherwise
  // repair for as long as the other program writes): the records go after it, and the trail's end is the file's end.
  assert.deepEqual(recoveries(dir), [
    {
      foreign_lines: [
        { file: FILE, line: 4 },
        { file: FILE, line: 5 },
      ],
    },
    {
      foreign_lines: [
        { file: FILE, line: 2 },
        { file: FILE, line: 3 },
      ],
    },
  ]);
  await writerWentIdle(writer);
  // One more foreign line: its number is counted from where the writer took the file's end as it found it.
  appendFileSync(join(dir, FILE), 'foreign 0\n');
  await writer.append(auditRecord(3, `${DAY}T12:00:02.000Z`));
  writer.close();
  assert.deepEqual(lines(dir), [
    ['tool_call', '1'],
    'foreign 5',
    'foreign 4',
    'foreign 3',
    'foreign 2',
    'foreign 1',
    ['recovery', null],
    ['recovery', null],
    ['tool_call', '2'],
    'foreign 0',
    ['recovery', null],
    ['tool_call', '3'],
  ]);
  assert.deepEqual(recoveries(dir)[2], { foreign_lines: [{ file: FILE, line: 10 }] });
});

test('a torn line another program left while the writer holds the lock is closed with a newline before the next record', async () => {
  const dir = makeTempDir('committer-repairs-torn');
  const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${DAY}T12:00:00.000Z`) });
  // Two commits to one file before it: the line the recovery names is counted across both.
  await writer.append(auditRecord(1, `${DAY}T12:00:00.000Z`));
  await writer.append(auditRecord(2, `${DAY}T12:00:00.500Z`));
  await writerWentIdle(writer);
  appendFileSync(join(dir, FILE), '{"cut short');
  await writer.append(auditRecord(3, `${DAY}T12:00:01.000Z`));
  writer.close();
  assert.deepEqual(lines(dir), [['tool_call', '1'], ['tool_call', '2'], '{"cut short', ['recovery', null], ['tool_call', '3']]);
  assert.deepEqual(recoveries(dir), [{ torn_lines: [{ file: FILE, line: 3, bytes: 11, after_seq: 2 }] }]);
});

/** A copy put in place of the day file (an editor saving, a restore): the same bytes and size, another inode. */
function replaceWithCopy(dir: string): void {
  const copy = join(dir, 'copy.tmp');
  copyFileSync(join(dir, FILE), copy);
  renameSync(copy, join(dir, FILE));
}

for (const [when, writeAround] of [
  [
    'while the writer holds the lock: the next record goes to the file at the path, not through the descriptor it held',
    async (writer: () => ChainedTrailWriter, replace: () => void) => {
      const only = writer();
      await only.append(auditRecord(1, `${DAY}T12:00:00.000Z`));
      await writerWentIdle(only); // still holding the lock, the file still open
      replace();
      await only.append(auditRecord(2, `${DAY}T12:00:01.000Z`));
      only.close();
    },
  ],
  [
    'while no writer holds the lock: the next writer to take it tells',
    async (writer: () => ChainedTrailWriter, replace: () => void) => {
      const first = writer();
      await first.append(auditRecord(1, `${DAY}T12:00:00.000Z`));
      first.close();
      replace();
      const next = writer();
      await next.append(auditRecord(2, `${DAY}T12:00:01.000Z`));
      next.close();
    },
  ],
] as const) {
  test(`a file replaced by one of the same size is told apart by its inode ${when}`, async () => {
    const dir = makeTempDir('committer-repairs-same-size');
    await writeAround(
      () => new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date(`${DAY}T12:00:00.000Z`) }),
      () => replaceWithCopy(dir),
    );
    // Written through a descriptor to the replaced file, record 2 would be in no file at the path: lost.
    assert.deepEqual(lines(dir), [
      ['tool_call', '1'],
      ['recovery', null],
      ['tool_call', '2'],
    ]);
    // The record the copy holds is not one the writer wrote to that file: foreign to it, and said so.
    assert.deepEqual(
      recoveries(dir).map((summary) => Object.keys(summary)),
      [['moved_file', 'foreign_lines']],
    );
  });
}

test('without AUDIT_RETENTION_DAYS no retention is planned: a new day leaves the earlier files as they are, and nothing is said of retention', async () => {
  const dir = makeTempDir('committer-no-retention');
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    said.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const writer = new ChainedTrailWriter({ directory: dir, hasher, now: () => new Date('2026-05-03T00:00:00.000Z') });
    await writer.append(auditRecord(1, '2026-05-01T12:00:00.000Z'));
    await writer.append(auditRecord(2, '2026-05-02T12:00:00.000Z'));
    writer.close();
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(said, []);
  assert.deepEqual(
    readdirSync(dir)
      .filter((name) => name.startsWith('audit_'))
      .sort(),
    ['audit_2026-05-01.jsonl', 'audit_2026-05-02.jsonl'],
  );
});
