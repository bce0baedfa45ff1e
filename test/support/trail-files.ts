import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../src/index.js';

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** The raw lines of every audit file in `dir`, in file-name (date) order. */
export function readTrailLines(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^audit_\d{4}-\d{2}-\d{2}\.jsonl$/.test(name))
    .sort()
    .flatMap((name) =>
      readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
}

export function readTrail(dir: string): AuditRecord[] {
  return readTrailLines(dir).map((line) => JSON.parse(line) as AuditRecord);
}
