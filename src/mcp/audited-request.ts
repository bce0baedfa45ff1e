import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_RPC_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions/incubating';
import { attachAuditDetails, type AuditDetails } from '../audit/record/audit-details.js';
import { TOOL_CALL_ACTION } from '../audit/record/audit-record.js';
import type { Redactor } from '../audit/redaction/redactor.js';
import { cappedId, redactAndTruncate, type SummaryLimits, type SummaryReport } from '../audit/record/summarize.js';
import { cappedWho, commonAttributes, type Who } from './caller-identity.js';
import { HandlerSpanView } from './handler-span-view.js';
import type { RequestAudit } from './method-audits.js';
import { MAX_ERROR_LENGTH } from './tool-call-result.js';

export interface AuditedRequestConfig {
  tracer: Tracer;
  redactor: Redactor;
  limits: SummaryLimits;
  /** Opt-in: the redacted argument summary as `gen_ai.tool.call.arguments` on tool-call spans. */
  captureArgumentsInSpan: boolean;
}

/** How a request failed: the message the client got, `error.type`, and the JSON-RPC code if there was one. */
export interface RequestFailure {
  message: string;
  type: string;
  code?: number;
}

/**
 * One audited request, from its arrival to its outcome: the SERVER span of
 * the OTel MCP conventions and the details its record is built from. The one
 * record-building path shared by the embedded instrumentation (which sees
 * the handler's result) and the wire proxy (which sees the response).
 */
export class AuditedRequest {
  readonly span: Span;
  /** The context to run the request's work in: the span (which the work cannot end), under the caller's traceparent if it sent one. */
  readonly context: Context;
  private readonly details: AuditDetails;
  private ended = false;

  constructor(
    private readonly config: AuditedRequestConfig,
    method: string,
    requestId: string,
    who: Who,
    private readonly audit: RequestAudit,
    private readonly report: SummaryReport,
    meta: unknown,
  ) {
    // Both ids may be the client's own choice, of any length: the span and the record keep them capped.
    requestId = cappedId(requestId, report, config.redactor);
    who = cappedWho(who, report, config.redactor);
    const attributes = commonAttributes(method, who);
    attributes[ATTR_JSONRPC_REQUEST_ID] = requestId;
    Object.assign(attributes, audit.attributes);
    // A traceparent in params._meta (MCP SEP-414) makes the caller's span our parent.
    const carrier = typeof meta === 'object' && meta !== null ? meta : {};
    const parent = propagation.extract(context.active(), carrier);
    this.span = config.tracer.startSpan(audit.target ? `${method} ${audit.target}` : method, { kind: SpanKind.SERVER, attributes }, parent);
    this.context = trace.setSpan(parent, new HandlerSpanView(this.span));
    this.details = {
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
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The record's input_summary, at the request's capture level. Throws if a tool's own summariser does. */
  summarizeInput(): void {
    this.details.inputSummary = this.audit.summarizeInput();
    if (this.config.captureArgumentsInSpan && this.audit.action === TOOL_CALL_ACTION) {
      this.span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, JSON.stringify(this.details.inputSummary));
    }
  }

  /** The request was answered with `result`, which may still be a failure (an `isError` tool result). Throws if the outcome cannot be read. */
  returned(result: unknown): void {
    if (this.ended) return;
    const described = this.audit.outcomeOf(result);
    if ('failure' in described) {
      this.failed({ message: described.failure, type: described.type });
    } else {
      this.details.resultSummary = described.resultSummary;
      this.end();
    }
  }

  /** The request failed: the message is redacted and cut like any client-visible text. */
  failed(failure: RequestFailure): void {
    if (this.ended) return;
    const { redactor, limits } = this.config;
    const message = redactAndTruncate(failure.message, { redactor, report: this.report, limits: { ...limits, maxStringLength: MAX_ERROR_LENGTH } });
    this.details.error = message;
    this.span.setAttribute(ATTR_ERROR_TYPE, failure.type);
    if (failure.code !== undefined) this.span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(failure.code));
    this.span.setStatus({ code: SpanStatusCode.ERROR, message });
    this.end();
  }

  private end(): void {
    this.ended = true;
    this.details.redacted = this.report.redacted;
    this.details.truncated = this.report.truncated;
    attachAuditDetails(this.span, this.details);
    this.span.end();
  }
}
