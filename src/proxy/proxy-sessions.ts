import type { OutgoingHttpHeaders } from 'node:http';
import type { MessageAuditor } from '../mcp/message-auditor.js';

export interface ProxySession {
  auditor: MessageAuditor;
  /** The principal whose token opened the session (null without front auth); only it may use the session. */
  principal: string | null;
  /** Who the session counts against for MCP_MAX_SESSIONS_PER_PRINCIPAL: the principal, else the upstream credential's fingerprint. */
  actor: string | null;
  /** Exchanges (POST answers, GET streams) still open, and when the last one ended. */
  open: number;
  idleSince: number;
  /** The client's headers from its latest request, to end the session upstream with when the proxy ends it. */
  upstreamHeaders: OutgoingHttpHeaders;
}

/** Sends the upstream a DELETE for a session the proxy ended and the client will not (best effort, not awaited). */
export type EndUpstreamSession = (sessionId: string, headers: OutgoingHttpHeaders, why: string) => void;

/** How many ended session ids are remembered (the newest), so that each is answered 404 rather than taken up again. */
const ENDED_REMEMBERED = 10_000;

/**
 * The upstream's sessions (2025 protocol era) as the proxy sees them, each
 * with the auditor of its messages, keyed by `Mcp-Session-Id`. A session
 * ends with the client's DELETE, with the upstream forgetting it (404), or
 * after `idleTimeoutMs` with nothing open (a client that vanished); each
 * gets its `session_end` record, and its unanswered requests a failed one.
 * An ended session's id is unknown from then on (404, as the Streamable
 * HTTP spec says of a terminated session): the client must initialize
 * again, so every session in the trail opens with a `session_start`.
 */
export class ProxySessions {
  private readonly sessions = new Map<string, ProxySession>();
  private readonly ended = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly newAuditor: (sessionId: string) => MessageAuditor,
    private readonly idleTimeoutMs: number,
    private readonly endUpstream: EndUpstreamSession,
  ) {
    this.sweeper = setInterval(() => this.endIdle(), Math.min(idleTimeoutMs, 60_000)).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session, or a new one for an id the proxy never saw open (it was restarted): its calls are audited all the same. */
  get(sessionId: string, principal: string | null, actor: string | null): ProxySession {
    let session = this.sessions.get(sessionId);
    if (!session) {
      session = { auditor: this.newAuditor(sessionId), principal, actor, open: 0, idleSince: Date.now(), upstreamHeaders: {} };
      this.sessions.set(sessionId, session);
    }
    return session;
  }

  /** The session, if the proxy knows it open. */
  find(sessionId: string): ProxySession | undefined {
    return this.sessions.get(sessionId);
  }

  /** The upstream answered an initialize with this session id. */
  opened(
    sessionId: string,
    auditor: MessageAuditor,
    principal: string | null,
    actor: string | null,
    upstreamHeaders: OutgoingHttpHeaders,
  ): ProxySession {
    auditor.sessionIdentified(sessionId);
    const session: ProxySession = { auditor, principal, actor, open: 0, idleSince: Date.now(), upstreamHeaders };
    this.sessions.set(sessionId, session);
    return session;
  }

  /** How many open sessions count against `actor`. */
  heldBy(actor: string | null): number {
    let held = 0;
    for (const session of this.sessions.values()) if (session.actor === actor) held += 1;
    return held;
  }

  /** Counts an exchange as open until `done` is called. */
  enter(session: ProxySession): () => void {
    session.open += 1;
    return () => {
      session.open -= 1;
      session.idleSince = Date.now();
    };
  }

  /** Records the end of the session: its unanswered requests as failed, then `session_end`. Its id is unknown from now on. */
  async end(sessionId: string, reason: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    this.ended.add(sessionId);
    if (this.ended.size > ENDED_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
    await session.auditor.abandonPending(reason, 'session_ended');
    await session.auditor.close();
  }

  /** The session's initialize was refused (fail closed): it ends now, here and on the upstream. */
  refuse(sessionId: string, reason: string): Promise<void> {
    const headers = this.sessions.get(sessionId)?.upstreamHeaders ?? {};
    this.endUpstream(sessionId, headers, 'its session_start could not be written');
    return this.end(sessionId, reason);
  }

  /** Ended here (deleted, refused, swept, forgotten by the upstream): a request naming it gets 404 and goes no further. */
  isEnded(sessionId: string): boolean {
    return this.ended.has(sessionId);
  }

  async endAll(reason: string): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.end(id, reason)));
  }

  private endIdle(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) {
      if (session.open > 0 || now - session.idleSince < this.idleTimeoutMs) continue;
      this.endUpstream(id, session.upstreamHeaders, 'it was idle past MCP_SESSION_IDLE_TIMEOUT_MS');
      void this.end(id, 'the session was idle too long');
    }
  }
}
