import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, ATTR_JSONRPC_REQUEST_ID, ATTR_RPC_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions/incubating';
import { attachAuditDetails, type AuditDetails } from '../audit/audit-details.js';
import { TOOL_CALL_ACTION } from '../audit/audit-record.js';
import type { Redactor } from '../audit/redactor.js';
import { newSummaryReport, redactAndTruncate, type SummaryLimits, type SummaryReport } from '../audit/summarize.js';
import { commonAttributes, type CallerIdentity } from './caller-identity.js';
import type { RequestAudit, RequestParams } from './request-audits.js';
import type { RawRequest, RawRequestExtra, RawRequestHandler } from './sdk-internals.js';
import type { SessionEvents } from './session-events.js';
import { MAX_ERROR_LENGTH, shortErrorMessage, thrownErrorMessage } from './tool-call-result.js';

export interface RequestAuditorConfig {
  tracer: Tracer;
  identity: CallerIdentity;
  sessions: SessionEvents;
  redactor: Redactor;
  limits: SummaryLimits;
  awaitRecord: ((span: Span) => Promise<void>) | undefined;
  captureArgumentsInSpan: boolean;
}

/** What a request's audit says about it: see RequestAudits. */
export type DescribeRequest = (params: RequestParams, report: SummaryReport) => RequestAudit;

/**
 * One span and one record for each audited request, the response held back
 * until the record is written. Keeps the calls in progress, so that a
 * shutdown can wait for them and record those that never finish.
 */
export class RequestAuditor {
  private readonly abandonByCall = new Map<Promise<unknown>, (reason: string) => void>();

  constructor(private readonly config: RequestAuditorConfig) {}

  get inFlight(): number {
    return this.abandonByCall.size;
  }

  /** The calls in progress. */
  callsInProgress(): Promise<unknown>[] {
    return [...this.abandonByCall.keys()];
  }

  /** Records every call still in progress as failed with `reason`. */
  abandonAll(reason: string): void {
    for (const abandon of this.abandonByCall.values()) abandon(reason);
  }

  /**
   * Runs `handler` inside the request's span and answers with its outcome once
   * the record is written. Plain promise chaining rather than an async
   * function: each promise and await costs an async-hooks round trip per call.
   */
  audit(method: string, handler: RawRequestHandler, request: RawRequest, extra: RawRequestExtra, describe: DescribeRequest): Promise<unknown> {
    const { tracer, identity, sessions } = this.config;
    const params = request.params ?? {};
    const report = newSummaryReport();
    const audit = describe(params, report);
    const who = identity.whoFor(extra, report);
    sessions.countRequest();
    const requestId = String(extra.requestId);
    const attributes = commonAttributes(method, who);
    attributes[ATTR_JSONRPC_REQUEST_ID] = requestId;
    Object.assign(attributes, audit.attributes);

    // A traceparent in params._meta (MCP SEP-414) makes the caller's span our parent.
    const parent = propagation.extract(context.active(), params._meta ?? {});
    const span = tracer.startSpan(audit.target ? `${method} ${audit.target}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    const details: AuditDetails = {
      action: audit.action,
      toolName: audit.toolName,
      inputSummary: {},
      resultSummary: null,
      error: null,
      requestId,
      sessionId: who.sessionId,
      client: who.client,
      transport: who.transport,
      actor: who.actor,
      clientAddress: who.clientAddress,
      protocolVersion: who.protocolVersion,
      capture: audit.capture,
    };
    let ended = false;
    const finish = (error: { message: string; type: string; code?: number } | null): void => {
      if (ended) return;
      ended = true;
      if (error) {
        details.error = error.message;
        span.setAttribute(ATTR_ERROR_TYPE, error.type);
        if (error.code !== undefined) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(error.code));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      details.redacted = report.redacted;
      details.truncated = report.truncated;
      attachAuditDetails(span, details);
      span.end();
    };

    let call: Promise<unknown>;
    try {
      details.inputSummary = audit.summarizeInput();
      if (this.config.captureArgumentsInSpan && audit.action === TOOL_CALL_ACTION) {
        span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, JSON.stringify(details.inputSummary));
      }
      // The SDK's stored handler parses the request synchronously: a malformed one throws here.
      call = Promise.resolve(context.with(trace.setSpan(parent, span), handler, undefined, request, extra));
    } catch (error) {
      call = Promise.reject(error);
    }
    this.abandonByCall.set(call, (reason) => finish({ message: reason, type: 'server_shutdown' }));

    const failed = (error: unknown): unknown => {
      this.abandonByCall.delete(call);
      // The same rule the SDK uses to pick the JSON-RPC error code it answers with.
      const thrownCode = (error as { code?: unknown } | null)?.code;
      const code = typeof thrownCode === 'number' && Number.isSafeInteger(thrownCode) ? thrownCode : ErrorCode.InternalError;
      finish({ message: this.cleanError(thrownErrorMessage(error), report), type: String(code), code });
      return this.answer(span, { error });
    };
    const returned = (result: unknown): unknown => {
      try {
        this.abandonByCall.delete(call);
        const described = audit.outcomeOf(result);
        if ('failure' in described) {
          finish({ message: this.cleanError(described.failure, report), type: described.type });
        } else {
          details.resultSummary = described.resultSummary;
          finish(null);
        }
      } catch (error) {
        return failed(error);
      }
      return this.answer(span, { result });
    };
    return call.then(returned, failed);
  }

  /** The call's outcome for the SDK to send, once its record is written; an error instead if it cannot be. */
  private answer(span: Span, outcome: { result: unknown } | { error: unknown }): unknown {
    const { awaitRecord } = this.config;
    const settle = (): unknown => {
      if ('error' in outcome) throw outcome.error;
      return outcome.result;
    };
    if (!awaitRecord) return settle();
    return awaitRecord(span).then(settle, (error: unknown) => {
      throw new McpError(ErrorCode.InternalError, `Audit record could not be written (${shortErrorMessage(error)}); the result of this call is withheld`);
    });
  }

  private cleanError(message: string, report: SummaryReport): string {
    const { redactor, limits } = this.config;
    return redactAndTruncate(message, { redactor, report, limits: { ...limits, maxStringLength: MAX_ERROR_LENGTH } });
  }
}
