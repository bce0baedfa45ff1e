import { closeSync, fstatSync, readSync, statSync, type Stats } from 'node:fs';
import { openOwnFileForReading } from '../../audit/trail/owned-files.js';
import type { AuditRecord } from '../../audit/record/audit-record.js';
import { positiveInteger } from '../args.js';
import { defineCommand, DIR_HELP, HELP_HELP, JSON_HELP } from '../command-line.js';
import { parseTrailLine, readFileRecords, reportToStderr } from '../record-reader.js';
import { FILTER_HELP, FILTER_OPTIONS, RecordFilter } from '../record-filter.js';
import { recordLine } from '../record-rows.js';
import { listTrailFiles, readTrailLines, type TrailFile } from '../trail-files.js';
import { writeOut } from '../output.js';

const HELP = `Usage: mcp-audit tail [DIR] [-n N] [-f] [options]

The last N matching records (default 10); with -f, keeps printing new ones
as they are appended, moving on to the next day's file at midnight UTC.
Stop it with Ctrl-C. With -f, a directory with no trail file yet is waited on.

${DIR_HELP}
${JSON_HELP}
${HELP_HELP}
  -n, --lines N      how many records to show first (default 10)
  -f, --follow       keep printing records as they arrive
  --interval MS      how often to look for new lines when following (default 500)
${FILTER_HELP}
`;

/** The last `n` matching records across the trail, reading files newest first and stopping once it has enough. */
async function lastRecords(files: TrailFile[], n: number, filter: RecordFilter): Promise<AuditRecord[]> {
  let collected: AuditRecord[] = [];
  for (let index = files.length - 1; index >= 0 && collected.length < n; index--) {
    const wanted = n - collected.length;
    const ring: AuditRecord[] = [];
    for await (const { record } of readFileRecords(files[index]!)) {
      if (!filter.matches(record)) continue;
      ring.push(record);
      if (ring.length > wanted) ring.shift();
    }
    collected = [...ring, ...collected];
  }
  return collected;
}

/**
 * Reads what was appended to a live (plain) file since the last look, yielding whole lines only. Follows the
 * file it opened, as `tail -F` does: once logrotate has renamed it and a new file is at the path, the rest of
 * the renamed one (records written before the writer's SIGHUP) is read first, then the new one from its start.
 */
class FileFollower {
  private fd: number | null = null;
  private offset = 0;
  private lineNumber: number;
  private carry = Buffer.alloc(0);

  constructor(
    readonly file: TrailFile,
    startAtEnd: boolean,
    lineNumber: number,
  ) {
    this.lineNumber = lineNumber;
    if (this.open() && startAtEnd) this.offset = fstatSync(this.fd!).size;
  }

  newLines(): Array<{ text: string; lineNumber: number }> {
    if (this.fd === null && !this.open()) return []; // not there yet
    const chunks: Buffer[] = [this.carry, ...this.readToEnd()];
    let replaced: Stats | null = null;
    try {
      replaced = statSync(this.file.path);
    } catch {
      // Renamed and no new file yet: keep reading the renamed one.
    }
    if (replaced && replaced.ino !== fstatSync(this.fd!).ino) {
      closeSync(this.fd!);
      this.fd = null;
      if (this.open()) chunks.push(...this.readToEnd());
    }
    const data = Buffer.concat(chunks);
    const end = data.lastIndexOf(0x0a);
    this.carry = end === -1 ? data : data.subarray(end + 1);
    if (end === -1) return [];
    return data
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .map((text) => ({ text, lineNumber: ++this.lineNumber }));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): boolean {
    try {
      this.fd = openOwnFileForReading(this.file.path); // a planted link is not followed, a FIFO not waited on
      this.offset = 0;
      return true;
    } catch {
      return false;
    }
  }

  private readToEnd(): Buffer[] {
    const chunks: Buffer[] = [];
    const size = fstatSync(this.fd!).size;
    if (size < this.offset) this.offset = 0; // truncated and rewritten: start over
    const buffer = Buffer.alloc(64 * 1024);
    while (this.offset < size) {
      const read = readSync(this.fd!, buffer, 0, Math.min(buffer.length, size - this.offset), this.offset);
      if (read === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, read)));
      this.offset += read;
    }
    return chunks;
  }
}

export const tailCommand = defineCommand({
  summary: 'the last records; -f follows new ones across the day change',
  help: HELP,
  options: { ...FILTER_OPTIONS, lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' }, interval: { type: 'string' } },
  trail: true,
  // Following may start before the server has written its first record.
  emptyTrailIsFine: (values) => values.follow === true,
  json: true,
  async run({ values, trail }) {
    const filter = new RecordFilter(values);
    const lines = positiveInteger(values.lines, '--lines', 10);
    const interval = Math.max(50, positiveInteger(values.interval, '--interval', 500));
    const dir = trail();
    const print = (record: AuditRecord) => writeOut((values.json ? JSON.stringify(record) : recordLine(record)) + '\n');
    const files = listTrailFiles(dir);
    for (const record of await lastRecords(files, lines, filter)) await print(record);
    if (!values.follow) return 0;

    const live = (all: TrailFile[]) => all.filter((file) => file.compression === 'none');
    const newest = live(files).at(-1);
    let follower = newest ? new FileFollower(newest, true, await countLines(newest)) : null;
    process.stderr.write(`following ${follower ? follower.file.path : `${dir} (no trail file yet)`}; Ctrl-C to stop\n`);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      if (follower) await printLines(follower, filter, print);
      const latest = live(listTrailFiles(dir)).at(-1);
      if (latest && latest.path !== follower?.file.path) {
        // A new day's (or part's) file: whatever the old one got last was read above; new files are read from the start.
        follower?.close();
        follower = new FileFollower(latest, false, 0);
        await printLines(follower, filter, print);
      }
    }
  },
});

async function printLines(follower: FileFollower, filter: RecordFilter, print: (record: AuditRecord) => Promise<void>): Promise<void> {
  for (const line of follower.newLines()) {
    const record = parseTrailLine(line.text, `${follower.file.path}:${line.lineNumber}`, true, reportToStderr);
    if (record && filter.matches(record)) await print(record);
  }
}

async function countLines(file: TrailFile): Promise<number> {
  let lines = 0;
  for await (const line of readTrailLines(file)) if (line.terminated) lines++;
  return lines;
}
