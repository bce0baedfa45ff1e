import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { context, type Span } from '@opentelemetry/api';
import { newSummaryReport } from '../audit/record/summarize.js';
import { AuditedRequest, type AuditedRequestConfig } from './audited-request.js';
import type { CallerIdentity } from './caller-identity.js';
import type { DescribeRequest } from './method-audits.js';
import type { RawRequest, RawRequestExtra, RawRequestHandler } from './sdk-internals.js';
import type { SessionEvents } from './session-events.js';
import { auditWriteError, jsonRpcError, thrownErrorMessage } from './tool-call-result.js';

export interface HandlerAuditorConfig extends AuditedRequestConfig {
  identity: CallerIdentity;
  sessions: SessionEvents;
  awaitRecord: ((span: Span) => Promise<void>) | undefined;
}

/**
 * Audits at the SDK's request handler (the embedded instrumentation; the
 * wire proxy has MessageAuditor): one span and one record for each audited
 * request that reaches the handler, the response held back until the record
 * is written. Keeps the
 * calls in progress, so that a shutdown can wait for them and record those
 * that never finish.
 */
export class HandlerAuditor {
  private readonly abandonByCall = new Map<Promise<unknown>, (reason: string) => void>();

  constructor(private readonly config: HandlerAuditorConfig) {}

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
    const { identity, sessions } = this.config;
    const params = request.params ?? {};
    const report = newSummaryReport();
    const audit = describe(params, report);
    const who = identity.whoFor(extra, report);
    sessions.countRequest();
    const audited = new AuditedRequest(this.config, method, String(extra.requestId), who, audit, report, params._meta);

    let call: Promise<unknown>;
    try {
      audited.summarizeInput();
      call = this.run(handler, audited, request, extra);
    } catch (error) {
      call = Promise.reject(error);
    }
    this.abandonByCall.set(call, (reason) => audited.failed({ message: reason, type: 'server_shutdown' }));

    const failed = (error: unknown): unknown => {
      this.abandonByCall.delete(call);
      // The same rule the SDK uses to pick the JSON-RPC error code it answers with.
      const thrownCode = (error as { code?: unknown } | null)?.code;
      const code = typeof thrownCode === 'number' && Number.isSafeInteger(thrownCode) ? thrownCode : ErrorCode.InternalError;
      audited.failed({ message: thrownErrorMessage(error), type: String(code), code });
      return this.answer(audited.span, { error });
    };
    const returned = (result: unknown): unknown => {
      try {
        this.abandonByCall.delete(call);
        audited.returned(result);
      } catch (error) {
        return failed(error);
      }
      return this.answer(audited.span, { result });
    };
    return call.then(returned, failed);
  }

  private run(handler: RawRequestHandler, audited: AuditedRequest, request: RawRequest, extra: RawRequestExtra): Promise<unknown> {
    try {
      return Promise.resolve(context.with(audited.context, handler, undefined, request, extra));
    } catch (error) {
      // The SDK's stored handler parses the request synchronously, and would answer a malformed one
      // (a tools/call with no name) as an internal error, -32603: JSON-RPC calls it invalid params.
      return Promise.reject(jsonRpcError(ErrorCode.InvalidParams, `Invalid params: ${thrownErrorMessage(error)}`));
    }
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
      throw auditWriteError(error, 'the result of this call is withheld');
    });
  }
}
