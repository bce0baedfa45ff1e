import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TrailCheck {
  /** Lines in the trail files that are tool-call records or not parseable at all (session events are left out). */
  lines: number;
  parseable: number;
  /** Distinct span ids among the parseable records. */
  distinct: number;
  /** Calls 0..calls-1 whose record (found by the query that names the call) is present exactly once. */
  callsRecordedOnce: number;
}

/**
 * Reads back every `audit_*.jsonl` in `logDir` and checks it against the
 * `calls` benchmark calls sent to it: a record per call, no more, no less.
 */
export function checkTrail(logDir: string, calls: number): TrailCheck {
  const seen = new Uint32Array(calls);
  const spanIds = new Set<string>();
  let lines = 0;
  let parseable = 0;
  for (const name of readdirSync(logDir).filter((file) => /^audit_.*\.jsonl$/.test(file))) {
    for (const line of readFileSync(join(logDir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      let record: { action?: unknown; span_id?: unknown; input_summary?: { query?: unknown } };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        lines++;
        continue;
      }
      if (record.action !== 'tool_call') continue;
      lines++;
      parseable++;
      spanIds.add(String(record.span_id));
      const index = Number(/^monitor (\d+)$/.exec(String(record.input_summary?.query))?.[1]);
      if (Number.isInteger(index) && index < calls) seen[index]!++;
    }
  }
  return { lines, parseable, distinct: spanIds.size, callsRecordedOnce: seen.filter((count) => count === 1).length };
}
