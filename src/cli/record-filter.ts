import type { AuditRecord } from '../audit/record/audit-record.js';
import { UsageError } from './command.js';
import type { TrailFile } from './trail-files.js';

/** The options every reading command shares for choosing records. */
export const FILTER_OPTIONS = {
  tool: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  session: { type: 'string' },
  actor: { type: 'string' },
  action: { type: 'string' },
  failed: { type: 'boolean' },
} as const;

export const FILTER_HELP = `Filters (all optional, combined with AND):
  --tool NAME        tool_name equals NAME
  --action NAME      action equals NAME (tool_call, session_start, session_end, resource_read, ...)
  --since TIME       at or after TIME: 2026-01-15, 2026-01-15T09:30:00Z, or relative: 90s, 15m, 2h, 7d
  --until TIME       before TIME (same forms)
  --session ID       session_id equals ID
  --actor NAME       actor equals NAME
  --failed           only records with success == false`;

export interface FilterValues {
  tool?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  session?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  failed?: boolean | undefined;
}

const RELATIVE = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 } as const;

/** Milliseconds since the epoch for an absolute (ISO 8601, UTC unless it says otherwise) or relative time. */
export function parseTime(value: string, option: string, now = Date.now()): number {
  const relative = RELATIVE.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  // A bare date or a date-time without zone is UTC, like the trail's own timestamps.
  const normalised = /^\d{4}-\d{2}-\d{2}(T[\d:.]+)?$/.test(value) ? `${value.length === 10 ? `${value}T00:00:00` : value}Z` : value;
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms)) throw new UsageError(`${option}: cannot read "${value}" as a time (try 2026-01-15, 2026-01-15T09:30:00Z or 2h)`);
  return ms;
}

export class RecordFilter {
  private readonly since: number | undefined;
  private readonly until: number | undefined;

  constructor(private readonly values: FilterValues) {
    this.since = values.since === undefined ? undefined : parseTime(values.since, '--since');
    this.until = values.until === undefined ? undefined : parseTime(values.until, '--until');
    // An empty window is a mistake (the two swapped, a typo in a date), not a question whose answer is "0 records".
    if (this.since !== undefined && this.until !== undefined && this.since >= this.until) {
      throw new UsageError(
        `--since ${values.since} (${new Date(this.since).toISOString()}) is not before --until ${values.until} (${new Date(this.until).toISOString()}): the window is empty`,
      );
    }
  }

  matches(record: AuditRecord): boolean {
    const { tool, session, actor, action, failed } = this.values;
    if (tool !== undefined && record.tool_name !== tool) return false;
    if (action !== undefined && record.action !== action) return false;
    if (session !== undefined && record.session_id !== session) return false;
    if (actor !== undefined && record.actor !== actor) return false;
    if (failed && record.success !== false) return false;
    if (this.since !== undefined || this.until !== undefined) {
      const at = Date.parse(record.timestamp);
      if (this.since !== undefined && !(at >= this.since)) return false;
      if (this.until !== undefined && !(at < this.until)) return false;
    }
    return true;
  }

  /** A daily file holds only its own UTC day, so a file wholly outside the window need not be read. */
  readonly skipFile = (file: TrailFile): boolean => {
    const dayStart = Date.parse(`${file.date}T00:00:00Z`);
    if (this.since !== undefined && dayStart + UNIT_MS.d <= this.since) return true;
    if (this.until !== undefined && dayStart >= this.until) return true;
    return false;
  };
}
