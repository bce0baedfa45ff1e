import type { ProxySessions } from './proxy-sessions.js';

type Env = Record<string, string | undefined>;

/** Why an initialize is not let through: the HTTP status, and the JSON-RPC error message the client gets. */
export interface SessionRefusal {
  status: 429 | 503;
  message: string;
}

/** Seconds a refused client is told to wait (`Retry-After`), as the embedded server tells it. */
export const SESSION_RETRY_AFTER_SECONDS = 5;

/**
 * MCP_MAX_SESSIONS_PER_PRINCIPAL, or a quarter of MCP_MAX_SESSIONS: one
 * token (or one upstream credential) cannot take every session the proxy
 * will hold, and so cannot lock the others out.
 */
export function maxSessionsPerPrincipal(maxSessions: number, env: Env = process.env): number {
  const raw = env['MCP_MAX_SESSIONS_PER_PRINCIPAL']?.trim();
  if (raw === undefined || raw === '') return Math.max(1, Math.ceil(maxSessions / 4));
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1)
    throw new Error(`MCP_MAX_SESSIONS_PER_PRINCIPAL must be a whole number >= 1, not "${raw}"`);
  return value;
}

/**
 * Lets an initialize through to the upstream only while there is room:
 * fewer than `maxSessions` sessions open (or being opened) in all, and
 * fewer than `perPrincipal` for the actor asking. Clients without any
 * principal (no token, no Authorization) cannot be told apart, so only the
 * total applies to them.
 */
export class SessionAdmission {
  private readonly opening = new Map<string | null, number>();
  private openingTotal = 0;

  constructor(
    private readonly sessions: ProxySessions,
    private readonly maxSessions: number,
    private readonly perPrincipal: number,
  ) {}

  /** A function to call once the upstream has answered the initialize (the session, if any, is then counted as open); or why not. */
  admit(actor: string | null): (() => void) | SessionRefusal {
    if (this.sessions.size + this.openingTotal >= this.maxSessions) {
      return { status: 503, message: `Service unavailable: ${this.maxSessions} sessions open (MCP_MAX_SESSIONS); retry later` };
    }
    const held = this.sessions.heldBy(actor) + (this.opening.get(actor) ?? 0);
    if (actor !== null && held >= this.perPrincipal) {
      return {
        status: 429,
        message: `Too many sessions: ${this.perPrincipal} open for this principal (MCP_MAX_SESSIONS_PER_PRINCIPAL); end one or retry later`,
      };
    }
    this.count(actor, 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count(actor, -1);
    };
  }

  private count(actor: string | null, change: 1 | -1): void {
    this.openingTotal += change;
    const now = (this.opening.get(actor) ?? 0) + change;
    if (now === 0) this.opening.delete(actor);
    else this.opening.set(actor, now);
  }
}
