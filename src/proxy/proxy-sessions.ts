import type { MessageAuditor } from '../mcp/message-auditor.js';

export interface ProxySession {
  auditor: MessageAuditor;
  /** The principal whose token opened the session (null without front auth); only it may use the session. */
  principal: string | null;
  /** Exchanges (POST answers, GET streams) still open, and when the last one ended. */
  open: number;
  idleSince: number;
}

/**
 * The upstream's sessions (2025 protocol era) as the proxy sees them, each
 * with the auditor of its messages, keyed by `Mcp-Session-Id`. A session
 * ends with the client's DELETE, with the upstream forgetting it (404), or
 * after `idleTimeoutMs` with nothing open (a client that vanished); each
 * gets its `session_end` record, and its unanswered requests a failed one.
 */
export class ProxySessions {
  private readonly sessions = new Map<string, ProxySession>();
  /** Sessions refused because their session_start could not be written: unknown (404) from then on, never re-adopted. */
  private readonly refused = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly newAuditor: (sessionId: string) => MessageAuditor,
    private readonly idleTimeoutMs: number,
  ) {
    this.sweeper = setInterval(() => this.endIdle(), Math.min(idleTimeoutMs, 60_000)).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session, or a new one for an id the proxy never saw open (it was restarted): its calls are audited all the same. */
  get(sessionId: string, principal: string | null): ProxySession {
    let session = this.sessions.get(sessionId);
    if (!session) {
      session = { auditor: this.newAuditor(sessionId), principal, open: 0, idleSince: Date.now() };
      this.sessions.set(sessionId, session);
    }
    return session;
  }

  has(sessionId: string): boolean {
    return this.sessions.has(sessionId);
  }

  /** The upstream answered an initialize with this session id. */
  opened(sessionId: string, auditor: MessageAuditor, principal: string | null): ProxySession {
    auditor.sessionIdentified(sessionId);
    const session: ProxySession = { auditor, principal, open: 0, idleSince: Date.now() };
    this.sessions.set(sessionId, session);
    return session;
  }

  /** Counts an exchange as open until `done` is called. */
  enter(session: ProxySession): () => void {
    session.open += 1;
    return () => {
      session.open -= 1;
      session.idleSince = Date.now();
    };
  }

  /** Records the end of the session: its unanswered requests as failed, then `session_end`. */
  async end(sessionId: string, reason: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    await session.auditor.abandonPending(reason, 'session_ended');
    await session.auditor.close();
  }

  /** The session's initialize was refused (fail closed): it ends now and its id stays unknown; the newest 10,000 are kept. */
  refuse(sessionId: string, reason: string): Promise<void> {
    this.refused.add(sessionId);
    if (this.refused.size > 10_000) this.refused.delete(this.refused.values().next().value as string);
    return this.end(sessionId, reason);
  }

  isRefused(sessionId: string): boolean {
    return this.refused.has(sessionId);
  }

  async endAll(reason: string): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, reason)));
  }

  private endIdle(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) {
      if (session.open === 0 && now - session.idleSince >= this.idleTimeoutMs) void this.end(id, 'the session was idle too long');
    }
  }
}
