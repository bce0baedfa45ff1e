import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import type { McpServerInstrumentation } from '../mcp/instrument-mcp-server.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import { BearerTokens } from './bearer-tokens.js';
import { bearerAuth, clientAddressHeader, originCheck, recordRefusal } from './request-guards.js';

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
 * per session. Requests pass, in order: the SDK's Host check and an Origin
 * check (DNS rebinding), then bearer auth when tokens are configured.
 */
export class StreamableHttpMcpServer {
  private readonly sessions = new Map<string, Session>();
  private readonly http: Server;
  private readonly host: string;
  private readonly port: number;
  private readonly idleTimeoutMs: number;
  private readonly sweeper: NodeJS.Timeout;
  readonly authEnabled: boolean;

  constructor(private readonly config: StreamableHttpConfig, env: Env = process.env) {
    this.host = config.host ?? (env['HOST']?.trim() || '127.0.0.1');
    this.port = config.port ?? Number(env['PORT']?.trim() || 3000);
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) throw new Error(`PORT=${env['PORT']} is not a port number`);
    const listed = env['MCP_ALLOWED_HOSTS']?.split(',').map((name) => name.trim()).filter(Boolean);
    const allowedHosts = config.allowedHosts ?? (listed && listed.length > 0 ? listed : LOOPBACK_HOSTNAMES);
    const tokens = config.tokens === undefined ? BearerTokens.fromEnv(env) : config.tokens;
    this.authEnabled = tokens !== null;
    this.idleTimeoutMs = config.sessionIdleTimeoutMs ?? (Number(env['MCP_SESSION_IDLE_TIMEOUT_MS']) || 30 * 60_000);
    // Clients that vanish without DELETE would otherwise keep their server and transport forever.
    this.sweeper = setInterval(() => this.closeIdleSessions(), Math.min(this.idleTimeoutMs, 60_000)).unref();

    const app = createMcpExpressApp({ host: this.host, allowedHosts });
    app.use(originCheck(allowedHosts));
    app.use(clientAddressHeader());
    if (tokens) app.use('/mcp', bearerAuth(tokens, config.trail));
    app.all('/mcp', (req, res) => void this.handle(req, res));
    this.http = createServer(app);
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
  }

  private async handle(req: Request, res: Response): Promise<void> {
    try {
      const principal = (req as Request & { auth?: { clientId: string } }).auth?.clientId ?? null;
      const sessionId = req.headers['mcp-session-id'];
      let session = typeof sessionId === 'string' ? this.sessions.get(sessionId) : undefined;
      if (typeof sessionId === 'string' && !session) {
        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null });
        return;
      }
      if (session && session.principal !== principal) {
        await recordRefusal(this.config.trail, req, 'session belongs to another principal');
        res.status(403).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Forbidden: session belongs to another principal' }, id: null });
        return;
      }
      if (!session) {
        if (req.method !== 'POST' || !isInitializeRequest(req.body)) {
          res.status(400).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no valid session id' }, id: null });
          return;
        }
        session = await this.openSession(principal);
      }
      const open = session;
      open.openRequests += 1;
      res.once('close', () => {
        open.openRequests -= 1;
        open.idleSince = Date.now();
      });
      await open.transport.handleRequest(req, res, req.body);
    } catch (error) {
      process.stderr.write(`mcp-audit: HTTP request failed: ${error instanceof Error ? error.message : String(error)}\n`);
      if (!res.headersSent) res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
    }
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
      if (session.openRequests === 0 && now - session.idleSince >= this.idleTimeoutMs) void session.server.close();
    }
  }
}
