import type { Span, Tracer } from '@opentelemetry/api';
import { SESSION_END_ACTION, SESSION_START_ACTION } from '../audit/record/audit-record.js';
import type { SummaryReport } from '../audit/record/summarize.js';
import type { Who } from './caller-identity.js';
import { errorResponse, INTERNAL_ERROR, type JsonRpcId, type JsonRpcResponse } from './json-rpc.js';
import type { RecordLoss } from './refusal-answer.js';
import { sessionEndFields, sessionEventSpan, type SessionFields } from './session-record.js';
import { auditWriteFailure } from './tool-call-result.js';

/**
 * The record-keeping of one audited connection: its session (started by an
 * answered `initialize`, ended by `close`), events that answer no request,
 * and the records still being written, so that closing waits for them all.
 */
export class ConnectionRecords {
  private session: { who: Who; report: SummaryReport; startedAt: number; requests: number } | null = null;
  private readonly unwritten = new Set<Promise<unknown>>();

  constructor(
    private readonly tracer: Tracer,
    private readonly awaitRecord: (span: Span) => Promise<void>,
  ) {}

  /** Counts a request towards the session's total. */
  countRequest(): void {
    if (this.session) this.session.requests++;
  }

  /** A session starts (ending any before it): resolves once its `session_start` is written, to a refusal of `initializeId` if it cannot be. */
  startSession(who: Who, fields: SessionFields, report: SummaryReport, initializeId: JsonRpcId): Promise<JsonRpcResponse | undefined> {
    this.endSession();
    this.session = { who, report, startedAt: Date.now(), requests: 0 };
    return this.hold(sessionEventSpan(this.tracer, SESSION_START_ACTION, who, fields, report), initializeId, 'the session is refused');
  }

  /** Writes `session_end` if a session started. */
  endSession(): void {
    if (!this.session) return;
    const { who, report, startedAt, requests } = this.session;
    this.session = null;
    this.event(SESSION_END_ACTION, who, sessionEndFields(startedAt, requests), report);
  }

  /** An event that answers no request (a protocol violation, a session's end); an `error` marks it failed. */
  event(action: string, who: Who, fields: SessionFields, report: SummaryReport, error: string | null = null): void {
    this.track(this.awaitRecord(sessionEventSpan(this.tracer, action, who, fields, report, error)));
  }

  /** A span whose record nobody waits for (a cancelled call's): still awaited by `settled`. */
  written(span: Span): Promise<unknown> {
    return this.track(this.awaitRecord(span));
  }

  /** The record of a refused message: resolves once it is written, or to why it could not be. */
  refusal(span: Span): Promise<RecordLoss> {
    const written = this.awaitRecord(span).then(
      (): RecordLoss => undefined,
      (error: unknown): RecordLoss => ({ error }),
    );
    this.track(written);
    return written;
  }

  /** Resolves once the span's record is written; to an error response for `id` if it cannot be (fail closed). */
  hold(span: Span, id: JsonRpcId, consequence: string): Promise<JsonRpcResponse | undefined> {
    const answer = this.awaitRecord(span).then(
      () => undefined,
      (error: unknown) => errorResponse(id, INTERNAL_ERROR, auditWriteFailure(error, consequence)),
    );
    this.track(answer);
    return answer;
  }

  /** Resolves once every record of the connection so far is written (or known to be unwritable). */
  settled(): Promise<void> {
    return Promise.allSettled([...this.unwritten]).then(() => undefined);
  }

  private track(recorded: Promise<unknown>): Promise<unknown> {
    // The exporter already reported an unwritten record on stderr.
    const tracked = recorded.catch(() => {});
    this.unwritten.add(tracked);
    void tracked.then(() => this.unwritten.delete(tracked));
    return tracked;
  }
}
