import type { ChainLink } from '../audit/trail/hash-chain.js';

/** A file retention retired, as its `retention` record names it; `by` is where that record is (file:line). */
export interface RetiredRange {
  file: string;
  first_seq: number;
  last_seq: number;
  by: string;
}

export interface RetentionSummary {
  retired?: { file: string; first_seq: number | null; last_seq: number | null }[];
  start?: ChainLink;
}

/**
 * What the `retention` records in the trail say was retired, to tell records
 * retired by policy from records deleted by anyone else: a gap in the chain is
 * explained only where a retention record names its seqs.
 */
export class RetentionLedger {
  readonly retired: RetiredRange[] = [];
  private readonly starts: ChainLink[] = [];

  add(summary: RetentionSummary | undefined, by: string): void {
    for (const { file, first_seq, last_seq } of summary?.retired ?? []) {
      if (first_seq === null || last_seq === null) continue;
      if (!this.retired.some((known) => known.first_seq === first_seq && known.last_seq === last_seq))
        this.retired.push({ file, first_seq, last_seq, by });
    }
    if (summary?.start) this.starts.push(summary.start);
  }

  /** The parts of seq `from..to` that retention retired (merged), and those it did not. */
  explain(from: number, to: number): { retired: [number, number][]; unexplained: [number, number][] } {
    const retired: [number, number][] = [];
    const unexplained: [number, number][] = [];
    const ranges = this.retired.filter((range) => range.last_seq >= from && range.first_seq <= to).sort((a, b) => a.first_seq - b.first_seq);
    let next = from;
    for (const range of ranges) {
      const first = Math.max(range.first_seq, from);
      const last = Math.min(range.last_seq, to);
      if (first > next) unexplained.push([next, first - 1]);
      const previous = retired.at(-1);
      if (previous && previous[1] + 1 >= first) previous[1] = Math.max(previous[1], last);
      else retired.push([first, last]);
      next = Math.max(next, last + 1);
    }
    if (next <= to) unexplained.push([next, to]);
    return { retired, unexplained };
  }

  /** What an intact trail's reader should know: which records retention retired, and an anchor no record explains. */
  notes(headStart: ChainLink | null): string[] {
    const notes = this.retired.map((range) => `seq ${range.first_seq}..${range.last_seq} retired by retention at ${range.by} (${range.file})`);
    if (headStart && headStart.seq > 0 && !this.starts.some((start) => start.seq === headStart.seq && start.hash === headStart.hash)) {
      notes.push(
        `the trail starts after seq ${headStart.seq}, and no retention record in it says so (a writer before retention records, or a rebuilt head): seq 1..${headStart.seq} are taken as retired`,
      );
    }
    return notes;
  }
}

export function seqRanges(ranges: [number, number][]): string {
  return ranges.map(([first, last]) => (first === last ? `seq ${first}` : `seq ${first}..${last}`)).join(', ');
}
