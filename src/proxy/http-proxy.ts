import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthFailureRecords } from '../http/auth-failure-records.js';
import type { BearerTokens } from '../http/bearer-tokens.js';
import { createGuardedHttpServer } from '../http/connection-guard.js';
import type { HttpLimits } from '../http/http-limits.js';
import { notFound, REFUSED, sendJsonRpcError } from '../http/json-rpc-responses.js';
import { bearerAuth, originCheck } from '../http/request-guards.js';
import type { MessageAuditor } from '../mcp/message-auditor.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import { forwardExchange } from './forward-exchange.js';
import { InFlightExchanges } from './in-flight-exchanges.js';
import { ProxySessions } from './proxy-sessions.js';
import { SessionAdmission } from './session-admission.js';
import type { Upstream } from './upstream.js';
import { UpstreamSessionEnder } from './upstream-session-end.js';

export interface HttpProxyConfig {
  upstream: Upstream;
  /** A new auditor for one session or one session-less exchange; `sessionId` when the session is already known. */
  newAuditor: (sessionId: string | null) => MessageAuditor;
  trail: Pick<AuditTrail, 'recordEvent'>;
  host: string;
  port: number;
  allowedHosts: string[];
  /** The proxy's own bearer tokens; null: the front is open and an Authorization header is the upstream's to judge. */
  tokens: BearerTokens | null;
  limits: HttpLimits;
  /** MCP_MAX_SESSIONS_PER_PRINCIPAL: sessions one principal (or upstream credential) may hold open. */
  maxSessionsPerPrincipal: number;
}

/**
 * The front of `mcp-audit proxy --upstream URL`: Streamable HTTP at `/mcp`,
 * forwarded to the upstream MCP endpoint. Requests pass the same guards as
 * the embedded server's, in the same order (connection cap and timeouts,
 * Host and Origin checks against DNS rebinding, bearer auth before any body
 * is read, each refusal an `auth_failure` record), then go through their
 * session's auditor (2025 era) or one of their own (no session).
 */
export class HttpProxy {
  private readonly http: Server;
  private readonly sessions: ProxySessions;
  private readonly authFailures: AuthFailureRecords;
  private readonly inFlight = new InFlightExchanges();
  private readonly upstreamSessions: UpstreamSessionEnder;
  private readonly admission: SessionAdmission;

  constructor(private readonly config: HttpProxyConfig) {
    this.authFailures = new AuthFailureRecords(config.trail, config.limits.authFailureRecordsPerMinute);
    this.upstreamSessions = new UpstreamSessionEnder(config.upstream);
    const endUpstream = this.upstreamSessions.end.bind(this.upstreamSessions);
    this.sessions = new ProxySessions((id) => config.newAuditor(id), config.limits.sessionIdleTimeoutMs, endUpstream);
    this.admission = new SessionAdmission(this.sessions, config.limits.maxSessions, config.maxSessionsPerPrincipal);
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(hostHeaderValidation(config.allowedHosts));
    app.use(originCheck(config.allowedHosts));
    if (config.tokens) app.use('/mcp', bearerAuth(config.tokens, this.authFailures));
    app.all('/mcp', (req, res) => void this.handle(req, res));
    app.use(notFound);
    this.http = createGuardedHttpServer(config.limits, app);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  listen(): Promise<{ url: string }> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.config.port, this.config.host, () => {
        const { port } = this.http.address() as AddressInfo;
        const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
        resolve({ url: `http://${host}:${port}/mcp` });
      });
    });
  }

  /**
   * Stops accepting requests; fails every request still waiting on the
   * upstream with `reason` (recorded, and answered with a JSON-RPC error if
   * its client is still there); ends every session; closes the connections.
   */
  async close(reason: string): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.inFlight.stopAll(reason);
    await this.sessions.endAll(reason);
    this.http.closeAllConnections();
    await closed;
    await this.authFailures.flush();
    await this.upstreamSessions.settled();
    this.config.upstream.close();
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const principal = (req as Request & { auth?: { clientId: string } }).auth?.clientId ?? null;
    const sessionId = req.headers['mcp-session-id'];
    try {
      if (typeof sessionId === 'string') {
        // Ended here (refused, deleted, swept): unknown, so the client initializes again rather than carry on unrecorded.
        if (this.sessions.isEnded(sessionId)) return sendJsonRpcError(res, 404, REFUSED, 'Session not found');
        const known = this.sessions.find(sessionId);
        if (known && known.principal !== principal) {
          await this.authFailures.record(req, 'session belongs to another principal', principal);
          return sendJsonRpcError(res, 403, REFUSED, 'Forbidden: session belongs to another principal');
        }
      }
      await forwardExchange(req, res, {
        upstream: this.config.upstream,
        sessions: this.sessions,
        inFlight: this.inFlight,
        admission: this.admission,
        recordRefusal: (request, reason, actor) => this.authFailures.record(request, reason, actor),
        newAuditor: () => this.config.newAuditor(null),
        principal,
        frontAuth: this.config.tokens !== null,
        maxBodyBytes: this.config.limits.maxBodyBytes,
      });
    } catch (error) {
      process.stderr.write(`mcp-audit proxy: HTTP request failed: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal server error');
      else res.destroy();
    }
  }
}
