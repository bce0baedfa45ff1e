import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServerInstrumentation } from '../mcp/instrument-mcp-server.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import { AuthFailureRecords } from './auth-failure-records.js';
import { BearerTokens } from './bearer-tokens.js';
import { createGuardedHttpServer, RETRY_AFTER_SECONDS } from './connection-guard.js';
import { checkExposure, httpLimitsFromEnv, type HttpLimits } from './http-limits.js';
import { INVALID_REQUEST, INTERNAL_ERROR, jsonBody, jsonErrors, notFound, REFUSED, sendJsonRpcError } from './json-rpc-responses.js';
import { bearerAuth, clientAddressHeader, originCheck } from './request-guards.js';

type Env = Record<string, string | undefined>;
const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface StreamableHttpConfig {
  /** Builds the audited server of one session. */
  createSession: () => { server: McpServer; instrumentation: McpServerInstrumentation };
  trail: Pick<AuditTrail, 'recordEvent'>;
  /** Falls back to HOST, then 127.0.0.1. */
  host?: string;
  /** Falls back to PORT, then 3000; 0 picks a free port. */
  port?: number;
  /** Hostnames accepted in Host and Origin; falls back to MCP_ALLOWED_HOSTS (comma-separated), then the loopback names. */
  allowedHosts?: string[];
  /** Falls back to MCP_AUTH_TOKENS / MCP_AUTH_TOKENS_FILE; null means no auth. */
  tokens?: BearerTokens | null;
  /** A session with no request open for this long is closed; falls back to MCP_SESSION_IDLE_TIMEOUT_MS, then 30 minutes. */
  sessionIdleTimeoutMs?: number;
  /** Caps and timeouts; each falls back to its MCP_* variable, then its default (see HttpLimits). */
  limits?: Partial<HttpLimits>;
  /** Listen on a non-loopback address without tokens; falls back to MCP_ALLOW_UNAUTHENTICATED_REMOTE. */
  allowUnauthenticatedRemote?: boolean;
}

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  instrumentation: McpServerInstrumentation;
  /** The principal whose token opened the session; only that principal may use it. */
  principal: string | null;
  /** Requests (including SSE streams) still open, and when the last one ended. */
  openRequests: number;
  idleSince: number;
}

/**
 * The MCP Streamable HTTP transport at `/mcp`, one McpServer and transport
 * per session. Requests pass, in order: the connection cap and timeouts
 * (connection-guard.ts), the SDK's Host check and an Origin check (DNS
 * rebinding), bearer auth when tokens are configured, and only then the
 * body parser (capped) and the session cap. Every refusal is a JSON-RPC
 * error object.
 */
export class StreamableHttpMcpServer {
  private readonly sessions = new Map<string, Session>();
  private readonly http: Server;
  private readonly host: string;
  private readonly port: number;
  private readonly limits: HttpLimits;
  private readonly authFailures: AuthFailureRecords;
  private readonly sweeper: NodeJS.Timeout;
  /** Initialize requests under way, counted against the session cap before their session exists. */
  private opening = 0;
  readonly authEnabled: boolean;

  constructor(private readonly config: StreamableHttpConfig, env: Env = process.env) {
    this.host = config.host ?? (env['HOST']?.trim() || '127.0.0.1');
    this.port = config.port ?? Number(env['PORT']?.trim() || 3000);
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) throw new Error(`PORT=${env['PORT']} is not a port number`);
    const listed = env['MCP_ALLOWED_HOSTS']?.split(',').map((name) => name.trim()).filter(Boolean);
    const allowedHosts = config.allowedHosts ?? (listed && listed.length > 0 ? listed : LOOPBACK_HOSTNAMES);
    const tokens = config.tokens === undefined ? BearerTokens.fromEnv(env) : config.tokens;
    this.authEnabled = tokens !== null;
    checkExposure(this.host, this.authEnabled, config.allowUnauthenticatedRemote, env);
    const idle = config.sessionIdleTimeoutMs;
    this.limits = httpLimitsFromEnv({ ...(idle === undefined ? {} : { sessionIdleTimeoutMs: idle }), ...config.limits }, env);
    this.authFailures = new AuthFailureRecords(config.trail, this.limits.authFailureRecordsPerMinute);
    // Clients that vanish without DELETE would otherwise keep their server and transport forever.
    this.sweeper = setInterval(() => this.closeIdleSessions(), Math.min(this.limits.sessionIdleTimeoutMs, 60_000)).unref();

    const app = express();
    app.disable('x-powered-by');
    app.use(hostHeaderValidation(allowedHosts));
    app.use(originCheck(allowedHosts));
    app.use(clientAddressHeader());
    if (tokens) app.use('/mcp', bearerAuth(tokens, this.authFailures));
    app.use('/mcp', ...jsonBody(this.limits.maxBodyBytes));
    app.all('/mcp', (req, res) => void this.handle(req, res));
    app.use(notFound);
    app.use(jsonErrors(this.limits.maxBodyBytes));
    this.http = createGuardedHttpServer(this.limits, app);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  listen(): Promise<{ host: string; port: number; url: string }> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.port, this.host, () => {
        const { port } = this.http.address() as AddressInfo;
        const host = this.host.includes(':') ? `[${this.host}]` : this.host;
        resolve({ host: this.host, port, url: `http://${host}:${port}/mcp` });
      });
    });
  }

  /** Waits for calls in progress in every session (see McpServerInstrumentation.drain). */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.instrumentation.drain(timeoutMs)));
  }

  /** Stops accepting requests and closes every session. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await Promise.all([...this.sessions.values()].map((session) => session.server.close()));
    this.http.closeAllConnections();
    await closed;
    await this.authFailures.flush();
  }

  private async handle(req: Request, res: Response): Promise<void> {
    try {
      const principal = (req as Request & { auth?: { clientId: string } }).auth?.clientId ?? null;
      const sessionId = req.headers['mcp-session-id'];
      let session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
      if (typeof sessionId === 'string' && !session) return sendJsonRpcError(res, 404, REFUSED, 'Session not found');
      if (session && session.principal !== principal) {
        await this.authFailures.record(req, 'session belongs to another principal', principal);
        return sendJsonRpcError(res, 403, REFUSED, 'Forbidden: session belongs to another principal');
      }
      if (!session) {
        if (req.method !== 'POST' || !isInitializeRequest(req.body)) return sendJsonRpcError(res, 400, INVALID_REQUEST, 'Bad Request: no valid session id');
        return await this.initialize(req, res, principal);
      }
      await this.serve(session, req, res);
    } catch (error) {
      process.stderr.write(`mcp-audit: HTTP request failed: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) sendJsonRpcError(res, 500, INTERNAL_ERROR, 'Internal server error');
    }
  }

  /** Opens a session for an initialize request, unless MCP_MAX_SESSIONS are open or opening. */
  private async initialize(req: Request, res: Response, principal: string | null): Promise<void> {
    if (this.sessions.size + this.opening >= this.limits.maxSessions) {
      const message = `Service unavailable: ${this.limits.maxSessions} sessions open (MCP_MAX_SESSIONS); retry later`;
      return sendJsonRpcError(res, 503, REFUSED, message, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    this.opening += 1;
    try {
      const session = await this.openSession(principal);
      await this.serve(session, req, res);
    } finally {
      this.opening -= 1;
    }
  }

  private async serve(session: Session, req: Request, res: Response): Promise<void> {
    session.openRequests += 1;
    res.once('close', () => {
      session.openRequests -= 1;
      session.idleSince = Date.now();
    });
    await session.transport.handleRequest(req, res, req.body);
  }

  private async openSession(principal: string | null): Promise<Session> {
    const { server, instrumentation } = this.config.createSession();
    const session: Session = {
      server,
      instrumentation,
      principal,
      openRequests: 0,
      idleSince: Date.now(),
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void this.sessions.set(id, session),
      }),
    };
    session.transport.onclose = () => {
      if (session.transport.sessionId) this.sessions.delete(session.transport.sessionId);
    };
    await server.connect(session.transport);
    return session;
  }

  private closeIdleSessions(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.openRequests === 0 && now - session.idleSince >= this.limits.sessionIdleTimeoutMs) void session.server.close();
    }
  }
}
