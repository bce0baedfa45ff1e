import type { AuditRecord } from '../audit/record/audit-record.js';
import { listTrailFiles, readTrailLines, unreadableReason, type TrailFile } from './trail-files.js';

export interface TrailRecord {
  record: AuditRecord;
  file: string;
  lineNumber: number;
}

export interface ReadOptions {
  /** Files to skip without opening them (e.g. outside a --since/--until window). */
  skipFile?: (file: TrailFile) => boolean;
  /** Where damaged lines are reported; default stderr, as `path:line: reason`. */
  onInvalidLine?: (message: string) => void;
}

export function reportToStderr(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Why a parsed line is not an audit record, or null when it is one. */
function notARecord(value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const candidate = value as Partial<AuditRecord>;
  if (typeof candidate.timestamp !== 'string') return 'no timestamp';
  if (typeof candidate.success !== 'boolean') return 'no success flag';
  return null;
}

/** Parses one line; damaged lines are reported and give undefined, so one bad line never stops a read. */
export function parseTrailLine(text: string, where: string, terminated: boolean, report: (message: string) => void): AuditRecord | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = terminated ? `invalid JSON (${error instanceof Error ? error.message : String(error)})` : 'torn line (no newline at end of file)';
    report(`${where}: skipped ${reason}`);
    return undefined;
  }
  const problem = notARecord(value);
  if (problem) {
    report(`${where}: skipped, not an audit record (${problem})`);
    return undefined;
  }
  return value as AuditRecord;
}

/** Every record of the trail in `dir`, oldest file first, streamed in constant memory. */
export async function* readTrailRecords(dir: string, options: ReadOptions = {}): AsyncGenerator<TrailRecord> {
  const report = options.onInvalidLine ?? reportToStderr;
  for (const file of listTrailFiles(dir)) {
    if (options.skipFile?.(file)) continue;
    yield* readFileRecords(file, report);
  }
}

export async function* readFileRecords(file: TrailFile, report: (message: string) => void = reportToStderr): AsyncGenerator<TrailRecord> {
  const unreadable = unreadableReason(file);
  if (unreadable) {
    report(`${file.path}: skipped, ${unreadable}`);
    return;
  }
  try {
    for await (const line of readTrailLines(file)) {
      const record = parseTrailLine(line.text, `${file.path}:${line.lineNumber}`, line.terminated, report);
      if (record) yield { record, file: file.path, lineNumber: line.lineNumber };
    }
  } catch (error) {
    // A planted link or FIFO, a damaged gzip, a file gone since the listing: said, and the other files are read.
    report(`${file.path}: skipped the rest, ${error instanceof Error ? error.message : String(error)}`);
  }
}
