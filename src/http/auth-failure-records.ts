import type { Request } from 'express';
import { newSummaryReport, redactAndTruncate, type SummaryReport } from '../audit/record/summarize.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import { SourceRateLimiter, sourceKey } from './source-rate-limiter.js';

export const AUTH_FAILURE_ACTION = 'auth_failure';

/** How long suppressed failures are counted before their counter record is written. */
const COUNTER_INTERVAL_MS = 60_000;
/** Sources named one by one in a counter record; the rest are summed. */
const MAX_NAMED_SOURCES = 20;
/** Sources counted apart between two counter records; past this, new ones are counted together. */
const MAX_COUNTED_SOURCES = 10_000;

interface Suppressed {
  total: number;
  first: string;
  last: string;
  reasons: Map<string, number>;
  sources: Map<string, number>;
}

/**
 * Writes `auth_failure` records. Every string a client chose (path, session
 * id, user agent) is redacted and truncated as a tool call's input is, so a
 * 401 costs the trail at most about 1 KB. Records are rate-limited per source
 * (see SourceRateLimiter); what is held back is counted and written as one
 * `auth_failure` counter record a minute later (and at close), so a stranger
 * without a token cannot fill the disk, and nothing goes unmentioned.
 */
export class AuthFailureRecords {
  private readonly limiter: SourceRateLimiter;
  private suppressed: Suppressed | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly trail: Pick<AuditTrail, 'recordEvent'>,
    perMinute: number,
    private readonly counterIntervalMs = COUNTER_INTERVAL_MS,
  ) {
    this.limiter = new SourceRateLimiter(perMinute);
  }

  /** Records the refusal of `req`, or counts it if its source is over the limit; resolves once written (never rejects). */
  async record(req: Request, reason: string, actor: string | null = null): Promise<void> {
    const peer = req.socket.remoteAddress ?? null;
    if (!this.limiter.allow(peer)) return this.count(peer, reason);
    const report = newSummaryReport();
    const clean = (value: string): string => redactAndTruncate(value, { report });
    const path = clean(req.originalUrl.split('?')[0]!);
    const sessionId = req.headers['mcp-session-id'];
    const userAgent = req.headers['user-agent'];
    await this.write({
      error: reason,
      actor,
      sessionId: typeof sessionId === 'string' ? clean(sessionId) : null,
      clientAddress: peer,
      inputSummary: { http_method: req.method, path, ...(userAgent === undefined ? {} : { user_agent: clean(userAgent) }) },
      attributes: { 'http.request.method': req.method, 'url.path': path, 'network.transport': 'tcp', ...(peer ? { 'client.address': peer } : {}) },
      ...report,
    });
  }

  /** Writes the counter record of what was held back, if anything was. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const held = this.suppressed;
    this.suppressed = null;
    if (!held) return;
    const sources = [...held.sources].sort((a, b) => b[1] - a[1]);
    const named = Object.fromEntries(sources.slice(0, MAX_NAMED_SOURCES));
    const others = sources.slice(MAX_NAMED_SOURCES).reduce((sum, [, count]) => sum + count, 0);
    await this.write({
      error: `${held.total} auth failure(s) not recorded one by one: over MCP_AUTH_FAILURE_RECORDS_PER_MINUTE`,
      clientAddress: sources.length === 1 ? sources[0]![0] : null,
      inputSummary: {
        suppressed: held.total,
        first_timestamp: held.first,
        last_timestamp: held.last,
        reasons: Object.fromEntries(held.reasons),
        sources: named,
        ...(others > 0 ? { other_sources: { addresses: sources.length - MAX_NAMED_SOURCES, failures: others } } : {}),
      },
      resultSummary: `${held.total} suppressed`,
      attributes: { 'network.transport': 'tcp' },
    });
  }

  private count(peer: string | null, reason: string): void {
    const now = new Date().toISOString();
    const held = (this.suppressed ??= { total: 0, first: now, last: now, reasons: new Map(), sources: new Map() });
    held.total += 1;
    held.last = now;
    held.reasons.set(reason, (held.reasons.get(reason) ?? 0) + 1);
    // Keyed as the limiter keys them, so a /64 of IPv6 addresses is one entry, not millions.
    let key = sourceKey(peer);
    if (held.sources.size >= MAX_COUNTED_SOURCES && !held.sources.has(key)) key = 'other';
    held.sources.set(key, (held.sources.get(key) ?? 0) + 1);
    this.timer ??= setTimeout(() => void this.flush(), this.counterIntervalMs).unref();
  }

  private async write(event: Omit<Parameters<AuditTrail['recordEvent']>[0], 'action' | 'transport'> & Partial<SummaryReport>): Promise<void> {
    try {
      await this.trail.recordEvent({ action: AUTH_FAILURE_ACTION, transport: 'streamable-http', ...event });
    } catch (error) {
      process.stderr.write(`mcp-audit: could not record ${AUTH_FAILURE_ACTION}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}
