import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServerInstrumentation } from '../mcp/instrument-mcp-server.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import { AuthFailureRecords } from './auth-failure-records.js';
import { BearerTokens } from './bearer-tokens.js';
import { createGuardedHttpServer, RETRY_AFTER_SECONDS } from './connection-guard.js';
import { checkExposure, httpLimitsFromEnv, type HttpLimits } from './http-limits.js';
import { INVALID_REQUEST, INTERNAL_ERROR, jsonBody, jsonErrors, notFound, REFUSED, sendJsonRpcError } from './json-rpc-responses.js';
import { oversizedBodyRecords } from './oversized-body-records.js';
import { bearerAuth, clientAddressHeader, originCheck } from './request-guards.js';
import { SessionTable } from './session-table.js';

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

/**
 * The MCP Streamable HTTP transport at `/mcp`, one McpServer and transport
 * per session. Requests pass, in order: the connection cap and timeouts
 * (connection-guard.ts), the SDK's Host check and an Origin check (DNS
 * rebinding), bearer auth when tokens are configured, and only then the
 * body parser (capped) and the session cap. Every refusal is a JSON-RPC
 * error object.
 */
export class StreamableHttpMcpServer {
  private readonly sessions: SessionTable;
  private readonly http: Server;
  private readonly host: string;
  private readonly port: number;
  private readonly limits: HttpLimits;
  private readonly authFailures: AuthFailureRecords;
  readonly authEnabled: boolean;

  constructor(config: StreamableHttpConfig, env: Env = process.env) {
    this.host = config.host ?? (env['HOST']?.trim() || '127.0.0.1');
    this.port = config.port ?? Number(env['PORT']?.trim() || 3000);
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) throw new Error(`PORT=${env['PORT']} is not a port number`);
    const listed = env['MCP_ALLOWED_HOSTS']
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const allowedHosts = config.allowedHosts ?? (listed && listed.length > 0 ? listed : LOOPBACK_HOSTNAMES);
    const tokens = config.tokens === undefined ? BearerTokens.fromEnv(env) : config.tokens;
    this.authEnabled = tokens !== null;
    checkExposure(this.host, this.authEnabled, config.allowUnauthenticatedRemote, env);
    const idle = config.sessionIdleTimeoutMs;
    this.limits = httpLimitsFromEnv({ ...(idle === undefined ? {} : { sessionIdleTimeoutMs: idle }), ...config.limits }, env);
    this.authFailures = new AuthFailureRecords(config.trail, this.limits.authFailureRecordsPerMinute);
    this.sessions = new SessionTable(config.createSession, this.limits.maxSessions, this.limits.sessionIdleTimeoutMs);

    const app = express();
    app.disable('x-powered-by');
    app.use(hostHeaderValidation(allowedHosts));
    app.use(originCheck(allowedHosts));
    app.use(clientAddressHeader());
    if (tokens) app.use('/mcp', bearerAuth(tokens, this.authFailures));
    const recordOversized = oversizedBodyRecords(config.trail, this.limits.maxBodyBytes);
    app.use('/mcp', ...jsonBody(this.limits.maxBodyBytes, recordOversized));
    app.all('/mcp', (req, res) => void this.handle(req, res));
    app.use(notFound);
    app.use(jsonErrors(this.limits.maxBodyBytes, recordOversized));
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
  drain(timeoutMs: number): Promise<void> {
    return this.sessions.drain(timeoutMs);
  }

  /** Stops accepting requests and closes every session. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.sessions.closeAll();
    this.http.closeAllConnections();
    await closed;
    await this.authFailures.flush();
  }

  private async handle(req: Request, res: Response): Promise<void> {
    try {
      const principal = (req as Request & { auth?: { clientId: string } }).auth?.clientId ?? null;
      const sessionId = req.headers['mcp-session-id'];
      const session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
      if (typeof sessionId === 'string' && !session) return sendJsonRpcError(res, 404, REFUSED, 'Session not found');
      if (session && session.principal !== principal) {
        await this.authFailures.record(req, 'session belongs to another principal', principal);
        return sendJsonRpcError(res, 403, REFUSED, 'Forbidden: session belongs to another principal');
      }
      if (!session) {
        if (req.method !== 'POST' || !isInitializeRequest(req.body))
          return sendJsonRpcError(res, 400, INVALID_REQUEST, 'Bad Request: no valid session id');
        if (this.sessions.full) {
          const message = `Service unavailable: ${this.limits.maxSessions} sessions open (MCP_MAX_SESSIONS); retry later`;
          return sendJsonRpcError(res, 503, REFUSED, message, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
        }
        return await this.sessions.initialize(principal, req, res);
      }
      await this.sessions.serve(session, req, res);
    } catch (error) {
      process.stderr.write(`mcp-audit: HTTP request failed: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) sendJsonRpcError(res, 500, INTERNAL_ERROR, 'Internal server error');
    }
  }
}
