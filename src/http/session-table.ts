import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { McpServerInstrumentation } from '../mcp/instrument-mcp-server.js';
import { ScreenedStreamableHTTPServerTransport } from './screened-http-transport.js';

export interface Session {
  server: McpServer;
  transport: ScreenedStreamableHTTPServerTransport;
  instrumentation: McpServerInstrumentation;
  /** The principal whose token opened the session; only that principal may use it. */
  principal: string | null;
  /** Requests (including SSE streams) still open, and when the last one ended. */
  openRequests: number;
  idleSince: number;
}

/**
 * The open sessions, at most `maxSessions` of them (counting those whose
 * initialize is still under way). A session with no request or stream open
 * for `idleTimeoutMs` is closed like one the client deleted, so it gets its
 * `session_end` record: clients that vanish without DELETE would otherwise
 * keep their server and transport forever. A session whose initialize was
 * refused (its `session_start` record could not be written) does not exist:
 * its id is unknown from the moment of the refusal, and it is closed.
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private opening = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly createSession: () => { server: McpServer; instrumentation: McpServerInstrumentation },
    private readonly maxSessions: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(idleTimeoutMs, 60_000)).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session?.instrumentation.sessionRefused) return session;
    this.drop(id, session);
    return undefined;
  }

  get full(): boolean {
    return this.sessions.size + this.opening >= this.maxSessions;
  }

  /** Opens a session for `principal` and hands it the initialize request. */
  async initialize(principal: string | null, req: Request, res: Response): Promise<void> {
    this.opening += 1;
    try {
      const session = await this.open(principal);
      // Closed once the refusal has gone out; until then `get` already treats its id as unknown.
      res.once('close', () => {
        const id = session.transport.sessionId;
        if (id && session.instrumentation.sessionRefused) this.drop(id, session);
      });
      await this.serve(session, req, res);
    } finally {
      this.opening -= 1;
    }
  }

  async serve(session: Session, req: Request, res: Response): Promise<void> {
    session.openRequests += 1;
    res.once('close', () => {
      session.openRequests -= 1;
      session.idleSince = Date.now();
    });
    await session.transport.handleRequest(req, res, req.body);
  }

  async drain(timeoutMs: number): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.instrumentation.drain(timeoutMs)));
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((session) => session.server.close()));
  }

  private async open(principal: string | null): Promise<Session> {
    const { server, instrumentation } = this.createSession();
    const session: Session = {
      server,
      instrumentation,
      principal,
      openRequests: 0,
      idleSince: Date.now(),
      transport: new ScreenedStreamableHTTPServerTransport({
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

  private drop(id: string, session: Session): void {
    this.sessions.delete(id);
    void session.server.close();
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.openRequests === 0 && now - session.idleSince >= this.idleTimeoutMs) void session.server.close();
    }
  }
}
