import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Span, Tracer } from '@opentelemetry/api';
import { SESSION_END_ACTION, SESSION_START_ACTION } from '../audit/record/audit-record.js';
import { newSummaryReport, type SummaryReport } from '../audit/record/summarize.js';
import type { CallerIdentity, Who } from './caller-identity.js';
import { interceptRequestHandler, onConnectionClosed, refuseRequestsWhen } from './sdk-internals.js';
import { sessionEndFields, sessionEventSpan, sessionStartFields, type SessionFields } from './session-record.js';
import { auditWriteError, jsonRpcError } from './tool-call-result.js';

const REFUSED_SESSION = 'This session was refused (its session_start record could not be written); send initialize again';

/**
 * The records that frame a session: `session_start` once its initialize
 * request is answered, `session_end` when its connection closes, with how
 * long it lasted and how many requests it made.
 *
 * If `session_start` cannot be written the session is refused, and does not
 * exist: every later request on the connection is refused before any handler
 * runs (nothing in the trail, as for an unknown HTTP session) until an
 * initialize is recorded; the HTTP layer drops it (`refused`).
 */
export class SessionEvents {
  private session: { who: Who; report: SummaryReport; startedAt: number; requests: number } | null = null;
  /** The last initialize was refused: no session exists on this connection. */
  refused = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly server: McpServer,
    private readonly tracer: Tracer,
    private readonly identity: CallerIdentity,
    private readonly clean: (text: string, report: SummaryReport) => string,
    private readonly awaitRecord: ((span: Span) => Promise<void>) | undefined,
  ) {}

  /** Starts recording the server's sessions. */
  install(): void {
    interceptRequestHandler(this.server, 'initialize', (handler) => async (request, extra) => {
      const result = await handler(request, extra);
      const protocolVersion = (result as { protocolVersion?: string }).protocolVersion;
      this.identity.protocolVersion = protocolVersion;
      const report = newSummaryReport();
      const who = this.identity.whoFor(extra, report);
      const startedAt = Date.now();
      try {
        await this.record(SESSION_START_ACTION, who, sessionStartFields(request.params ?? {}, protocolVersion, this.clean, report), report);
      } catch (error) {
        // Set before the error goes out, so no request that follows it can find a session; no session_end will follow.
        this.refused = true;
        this.session = null;
        throw auditWriteError(error, 'the session is refused');
      }
      this.refused = false;
      this.session = { who, report, startedAt, requests: 0 };
      return result;
    });
    refuseRequestsWhen(this.server, (method) =>
      this.refused && method !== 'initialize' ? jsonRpcError(ErrorCode.InvalidRequest, REFUSED_SESSION) : null,
    );

    onConnectionClosed(this.server, () => {
      if (!this.session) return;
      const { who, report, startedAt, requests } = this.session;
      this.session = null;
      void this.record(SESSION_END_ACTION, who, sessionEndFields(startedAt, requests), report).catch(() => {});
    });
  }

  /** Counts a request towards the current session's total. */
  countRequest(): void {
    if (this.session) this.session.requests++;
  }

  /** Session records not yet written. */
  pendingRecords(): Promise<void>[] {
    return [...this.pending];
  }

  private record(action: string, who: Who, fields: SessionFields, report: SummaryReport): Promise<void> {
    const span = sessionEventSpan(this.tracer, action, who, fields, report);
    const recorded = this.awaitRecord ? this.awaitRecord(span) : Promise.resolve();
    const tracked = recorded.catch(() => {}); // the exporter already reported an unwritten record on stderr
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
    return recorded;
  }
}
