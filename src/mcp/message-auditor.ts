import type { Span, Tracer } from '@opentelemetry/api';
import { PROTOCOL_VIOLATION_ACTION } from '../audit/record/audit-record.js';
import { capturePolicyFrom, type CapturePolicy } from '../audit/record/capture-levels.js';
import { Redactor, type RedactionConfig } from '../audit/redaction/redactor.js';
import { DEFAULT_SUMMARY_LIMITS, newSummaryReport, type SummaryLimits } from '../audit/record/summarize.js';
import { AuditedRequest, type AuditedRequestConfig } from './audited-request.js';
import { ConnectionRecords } from './connection-records.js';
import {
  INTERNAL_ERROR,
  errorResponse,
  idKey,
  isNotification,
  isRequest,
  isResponse,
  paramsObject,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcResponse,
} from './json-rpc.js';
import { PendingRequests } from './pending-requests.js';
import { MethodAudits, type RequestParams } from './method-audits.js';
import type { RejectedMessage } from './message-screen.js';
import type { RecordLoss } from './refusal-answer.js';
import { refusalSpan, violationFields, type Clean } from './refusal-record.js';
import { sessionStartFields } from './session-record.js';
import { SettledRequests } from './settled-requests.js';
import { jsonRpcFailure, thrownErrorMessage } from './tool-call-result.js';
import { ToolSchemas } from './tool-schemas.js';
import { WireIdentity, type RequestCarrier, type WireConnection } from './wire-identity.js';

export interface MessageAuditorConfig {
  tracer: Tracer;
  /** Resolves once the span's record is in the file; rejects if it cannot be written. */
  awaitRecord: (span: Span) => Promise<void>;
  connection: WireConnection;
  capture?: Partial<CapturePolicy>;
  redaction?: RedactionConfig;
  summaryLimits?: SummaryLimits;
  /** Also record tools/list requests as `tools_list` events. Default AUDIT_RECORD_TOOLS_LIST=true, else off. */
  recordToolsList?: boolean;
  captureArgumentsInSpan?: boolean;
  /** Shared by the auditors of one server (HTTP: one per session or request), so that a tools/list seen by one serves all. */
  schemas?: ToolSchemas;
  /**
   * Drop a response whose id no request sent on this connection has, with a `protocol_violation`. A client may
   * still take it for the answer to a request of its own (the MCP SDK's client matches `"1"` to 1), an answer with
   * no record. Answers to requests already settled pass (a late answer, a resumed stream's replay).
   */
  dropUnmatchedResponses?: boolean;
}

/** A message to send in place of the one that was held, undefined to send the original, null to send nothing. */
export type Replacement = JsonRpcMessage | JsonRpcMessage[] | undefined | null;

interface Pending {
  id: JsonRpcId;
  method: string;
  params: Record<string, unknown>;
  carrier: RequestCarrier;
  audited: AuditedRequest | null;
}

/**
 * Audits an MCP connection from its JSON-RPC messages alone, whoever wrote
 * the server: every audited request gets one span and one record when its
 * response (or its cancellation, or the end of the connection) passes, and
 * the response is held until that record is written; if it cannot be, the
 * client gets an error instead. Knows no transport: a front end hands it
 * each message from either side, and sends what it says to send.
 */
export class MessageAuditor {
  private readonly pending = new PendingRequests<Pending>();
  private readonly identity: WireIdentity;
  private readonly audits: MethodAudits;
  private readonly methods: ReturnType<MethodAudits['auditedMethods']>;
  private readonly schemas: ToolSchemas;
  private readonly requestConfig: AuditedRequestConfig;
  private readonly records: ConnectionRecords;
  private sessionless = false;
  private readonly settled = new SettledRequests();
  private readonly dropUnmatched: boolean;
  private readonly clean: Clean = (text, report) => this.audits.clean(text, report);

  constructor(config: MessageAuditorConfig) {
    const limits = config.summaryLimits ?? DEFAULT_SUMMARY_LIMITS;
    this.schemas = config.schemas ?? new ToolSchemas();
    const redactor = new Redactor(config.redaction);
    this.audits = new MethodAudits((name) => this.schemas.declaredFields(name), {}, capturePolicyFrom(config.capture), limits, redactor);
    this.methods = this.audits.auditedMethods(config.recordToolsList ?? process.env['AUDIT_RECORD_TOOLS_LIST'] === 'true');
    this.identity = new WireIdentity(config.connection, this.clean);
    this.requestConfig = { tracer: config.tracer, redactor, limits, captureArgumentsInSpan: config.captureArgumentsInSpan ?? false };
    this.records = new ConnectionRecords(config.tracer, config.awaitRecord);
    this.dropUnmatched = config.dropUnmatchedResponses ?? false;
  }

  /** Requests sent and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A message (or batch) from the client, passed to the server (stdio: just now; HTTP: next), before any answer to it can be read; `carrier` says who sent this one. */
  fromClient(payload: JsonRpcMessage | JsonRpcMessage[], carrier: RequestCarrier = {}): void {
    for (const message of Array.isArray(payload) ? payload : [payload]) {
      if (isRequest(message)) this.request(message.id, message.method, paramsObject(message), carrier);
      else if (isNotification(message) && message.method === 'notifications/cancelled') this.cancelled(paramsObject(message));
    }
  }

  /**
   * A message from the client that the front end refuses instead of passing
   * on (see message-screen.ts): an audited request gets the failed record of
   * its action, anything else a `protocol_violation`. Resolves once the
   * record is written, or to why it could not be; never rejects.
   */
  refused(rejected: RejectedMessage, carrier: RequestCarrier = {}): Promise<RecordLoss> {
    const span = refusalSpan(rejected, this.methods, this.requestConfig, this.clean, {
      whoFor: (_requestId, report) => this.identity.whoFor(rejected.params, report, carrier),
      countRequest: () => this.records.countRequest(),
    });
    return this.records.refusal(span);
  }

  /** Whether a request with this id awaits its response here (its audit begun). */
  isPending(id: JsonRpcId): boolean {
    return this.pending.has(idKey(id));
  }

  /**
   * A message (or batch) from the server. Undefined: pass it on now. A
   * promise: hold it until it resolves, then send the replacement it gives,
   * or the original if none. A batch is held until all of its records are written.
   */
  fromServer(payload: JsonRpcMessage | JsonRpcMessage[]): Promise<Replacement> | undefined {
    if (!Array.isArray(payload)) return this.response(payload);
    const held = payload.map((message) => this.response(message));
    if (held.every((hold) => hold === undefined)) return undefined;
    return Promise.all(held).then((replacements) => {
      if (replacements.every((replacement) => replacement === undefined)) return undefined;
      const sent = payload.flatMap((message, index) => {
        const replacement = replacements[index];
        return replacement === null ? [] : replacement === undefined ? [message] : Array.isArray(replacement) ? replacement : [replacement];
      });
      return sent.length === 0 ? null : sent;
    });
  }

  /**
   * The connection is over with requests unanswered: each audited one is
   * recorded as failed with `reason`; resolves, once those records are
   * written, to an error response for every pending request.
   */
  abandonPending(reason: string, type: string): Promise<JsonRpcResponse[]> {
    return this.abandon(this.pending.takeAll(), reason, type);
  }

  /** As abandonPending, for those of `ids` still pending only (HTTP: the requests of one POST whose answer failed). */
  abandonRequests(ids: readonly JsonRpcId[], reason: string, type: string): Promise<JsonRpcResponse[]> {
    return this.abandon(this.takeEach(ids), reason, type);
  }

  /** Those of `ids` still pending are cancelled (HTTP, 2026-07-28: the client closed their response stream). */
  cancelRequests(ids: readonly JsonRpcId[], why: string): void {
    for (const entry of this.takeEach(ids)) this.recordCancelled(entry, why);
  }

  /** The server named the session (HTTP: `Mcp-Session-Id`); every record from now on carries it. */
  sessionIdentified(sessionId: string): void {
    this.identity.sessionIdentified(sessionId);
  }

  /**
   * The server runs without sessions (HTTP: its initialize answer named
   * none): an initialize answer writes no `session_start`, since no session
   * follows it that could ever end.
   */
  withoutSession(): void {
    this.sessionless = true;
  }

  private takeEach(ids: readonly JsonRpcId[]): Pending[] {
    return ids.flatMap((id) => this.pending.take(idKey(id)) ?? []);
  }

  private abandon(abandoned: Pending[], reason: string, type: string): Promise<JsonRpcResponse[]> {
    const records: Promise<unknown>[] = [];
    for (const entry of abandoned) {
      this.settled.answered(idKey(entry.id));
      if (!entry.audited) continue;
      this.conclude(entry.audited, (audited) => audited.failed({ message: reason, type }));
      records.push(this.records.written(entry.audited.span));
    }
    return Promise.allSettled(records).then(() => abandoned.map((entry) => errorResponse(entry.id, INTERNAL_ERROR, reason)));
  }

  /** Records the end of the session, if one started; resolves once every record of the connection is written. */
  close(): Promise<void> {
    this.records.endSession();
    return this.records.settled();
  }

  /**
   * A request passed: pending until its response. Its input is summarised
   * only when it ends, so that a tools/list answered meanwhile (clients may
   * list and call at once) already says which fields the tool declares.
   */
  private request(id: JsonRpcId, method: string, params: Record<string, unknown>, carrier: RequestCarrier): void {
    this.records.countRequest();
    if (method === 'initialize') this.identity.initializing(params);
    let audited: AuditedRequest | null = null;
    const describe = this.methods.get(method);
    const report = newSummaryReport();
    if (describe) {
      const audit = describe(params as RequestParams, report);
      audited = new AuditedRequest(
        this.requestConfig,
        method,
        String(id),
        this.identity.whoFor(params, report, carrier),
        audit,
        report,
        params['_meta'],
      );
    }
    const key = idKey(id);
    if (this.settled.reusesCancelled(key)) {
      this.violation(
        params,
        carrier,
        method,
        id,
        (requestId) =>
          `request id ${requestId} reused after that request was cancelled: a late answer to the cancelled one would be taken for this one's`,
      );
    }
    if (this.pending.add(key, { id, method, params, carrier, audited })) {
      this.violation(params, carrier, method, id, (requestId) => `request id ${requestId} reused while a request with that id is pending`);
    }
  }

  /** A `protocol_violation` about message `id` (`method`: the request's, or null for a response); `why` is given the id as recorded. */
  private violation(
    params: Record<string, unknown>,
    carrier: RequestCarrier,
    method: string | null,
    id: JsonRpcId,
    why: (requestId: string) => string,
  ): void {
    const report = newSummaryReport();
    const requestId = this.clean(String(id), report);
    const who = this.identity.whoFor(params, report, carrier);
    this.records.event(PROTOCOL_VIOLATION_ACTION, who, violationFields(method, requestId, this.clean, report), report, why(requestId));
  }

  private cancelled(params: Record<string, unknown>): void {
    const requestId = params['requestId'];
    if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
    const entry = this.pending.take(idKey(requestId));
    if (entry) this.recordCancelled(entry, typeof params['reason'] === 'string' ? params['reason'] : null);
  }

  private recordCancelled(entry: Pending, why: string | null): void {
    this.settled.cancelledRequest(idKey(entry.id));
    if (!entry.audited) return;
    this.conclude(entry.audited, (audited) =>
      audited.failed({ message: `cancelled by the client${why === null ? '' : `: ${why}`}`, type: 'cancelled' }),
    );
    // Nothing is answered to a cancelled request; a late response passes without a second record.
    this.records.written(entry.audited.span);
  }

  private response(message: JsonRpcMessage): Promise<JsonRpcResponse | undefined | null> | undefined {
    if (!isResponse(message)) return undefined;
    const key = idKey(message.id);
    const entry = this.pending.take(key);
    if (!entry) return this.unmatched(key, message.id);
    this.settled.answered(key);
    if (entry.method === 'initialize' && !message.error)
      return this.sessionless ? void this.identity.initialized(message.result) : this.sessionStarted(entry, message);
    if (entry.method === 'tools/list' && !message.error) this.schemas.learn(message.result);
    const { audited } = entry;
    if (!audited) return undefined;
    this.conclude(audited, () => (message.error ? audited.failed(jsonRpcFailure(message.error)) : audited.returned(message.result)));
    return this.records.hold(audited.span, message.id, 'the result of this call is withheld');
  }

  /**
   * A response to no pending request. The late answer to a cancelled or
   * abandoned request, or one a resumed stream replays, passes: the client
   * ignores or dedupes it, and its record was written already; so does an
   * error with id null. One with an
   * id the server was never sent (a number echoed as a string, a stray id)
   * could be taken by the client for the answer to another request: dropped
   * with a `protocol_violation` when the front end drops unmatched responses.
   */
  private unmatched(key: string, id: JsonRpcId): Promise<null> | undefined {
    // An error with id null answers no request by design (JSON-RPC: the request's id could not be read), and HTTP
    // servers send one with their 4xx statuses: it passes.
    if (this.settled.unmatched(key) !== 'stray' || !this.dropUnmatched || id === null) return undefined;
    this.violation(
      {},
      {},
      null,
      id,
      (requestId) => `the server answered id ${requestId}, which no pending request has: dropped (a server must echo each request's id exactly)`,
    );
    return Promise.resolve(null);
  }

  /**
   * Summarises the request's input, then ends it with `outcome`. The input
   * waits until now so that a tools/list answered meanwhile counts; an input
   * or a result that cannot be read ends it as failed instead.
   */
  private conclude(audited: AuditedRequest, outcome: (audited: AuditedRequest) => void): void {
    try {
      audited.summarizeInput();
      outcome(audited);
    } catch (error) {
      audited.failed({ message: thrownErrorMessage(error), type: 'unreadable_result' });
    }
  }

  private sessionStarted(entry: Pending, message: JsonRpcResponse): Promise<JsonRpcResponse | undefined> {
    this.identity.initialized(message.result);
    const report = newSummaryReport();
    const who = this.identity.whoFor(entry.params, report, entry.carrier);
    const fields = sessionStartFields(entry.params, this.identity.protocolVersion, this.clean, report);
    return this.records.startSession(who, fields, report, message.id);
  }
}
