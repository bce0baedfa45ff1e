import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What every scenario gets: a scratch directory on the machine's disk and a progress line printer. */
export interface BenchContext {
  readonly quick: boolean;
  /** A fresh directory for one target's trail or one sink's file. */
  scratchDir(name: string): string;
  progress(line: string): void;
}

export function createBenchContext(quick: boolean, progress: (line: string) => void): BenchContext & { root: string } {
  const root = mkdtempSync(join(tmpdir(), 'mcp-audit-bench-'));
  let counter = 0;
  return {
    quick,
    root,
    scratchDir(name) {
      const dir = join(root, `${String(++counter).padStart(3, '0')}-${name.replace(/[^a-z0-9]+/gi, '-')}`);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    progress,
  };
}

/** The order variants run in round `round`: rotated, so no variant always goes first or last. */
export function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
