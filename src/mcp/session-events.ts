import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import { attachAuditDetails, type AuditDetails } from '../audit/audit-details.js';
import { SESSION_END_ACTION, SESSION_START_ACTION } from '../audit/audit-record.js';
import { newSummaryReport, type SummaryReport } from '../audit/summarize.js';
import { commonAttributes, type CallerIdentity, type Who } from './caller-identity.js';
import { interceptRequestHandler, onConnectionClosed } from './sdk-internals.js';
import { shortErrorMessage } from './tool-call-result.js';

/**
 * The records that frame a session: `session_start` once its initialize
 * request is answered (the session is refused if that record cannot be
 * written), `session_end` when its connection closes, with how long it lasted
 * and how many requests it made.
 */
export class SessionEvents {
  private session: { who: Who; report: SummaryReport; startedAt: number; requests: number } | null = null;
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
      this.session = { who, report, startedAt: Date.now(), requests: 0 };
      const params = request.params ?? {};
      const capabilities = params['capabilities'] && typeof params['capabilities'] === 'object' ? Object.keys(params['capabilities']) : [];
      const requested = typeof params['protocolVersion'] === 'string' ? this.clean(params['protocolVersion'], report) : null;
      try {
        await this.record(SESSION_START_ACTION, who, {
          inputSummary: { requested_protocol_version: requested, client_capabilities: capabilities },
          resultSummary: `protocol ${protocolVersion}`,
        }, report);
      } catch (error) {
        throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${shortErrorMessage(error)}); the session is refused`);
      }
      return result;
    });

    onConnectionClosed(this.server, () => {
      if (!this.session) return;
      const { who, report, startedAt, requests } = this.session;
      this.session = null;
      const seconds = ((Date.now() - startedAt) / 1000).toFixed(3);
      void this.record(SESSION_END_ACTION, who, { inputSummary: {}, resultSummary: `closed after ${seconds} s and ${requests} requests` }, report).catch(() => {});
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

  /** A session event: one span, one record, no request to answer. */
  private record(action: string, who: Who, fields: Pick<AuditDetails, 'inputSummary' | 'resultSummary'>, report: SummaryReport): Promise<void> {
    const span = this.tracer.startSpan(action, { kind: SpanKind.SERVER, attributes: commonAttributes(action, who) });
    const { networkTransport: _networkTransport, ...whoRecorded } = who;
    attachAuditDetails(span, { action, toolName: null, error: null, requestId: null, ...whoRecorded, ...fields, ...report });
    span.end();
    const recorded = this.awaitRecord ? this.awaitRecord(span) : Promise.resolve();
    const tracked = recorded.catch(() => {}); // the exporter already reported an unwritten record on stderr
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
    return recorded;
  }
}
