/**
 * Trail file names: `audit_2026-01-15.jsonl`, numbered parts when a size cap
 * splits a day (`audit_2026-01-15.1.jsonl`), `.gz` once retention compressed
 * them. Order: date, then part (the unnumbered file is part 0).
 */
export interface TrailFileName {
  name: string;
  date: string;
  part: number;
  compressed: boolean;
}

const TRAIL_FILE_NAME = /^audit_(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl(\.gz)?$/;

export function parseTrailFileName(name: string): TrailFileName | null {
  const match = TRAIL_FILE_NAME.exec(name);
  if (!match) return null;
  return { name, date: match[1]!, part: Number(match[2] ?? 0), compressed: match[3] !== undefined };
}

export function trailFileName(date: string, part: number): string {
  return part === 0 ? `audit_${date}.jsonl` : `audit_${date}.${part}.jsonl`;
}

export function compareTrailFiles(a: TrailFileName, b: TrailFileName): number {
  return a.date.localeCompare(b.date) || a.part - b.part;
}
