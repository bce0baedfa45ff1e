import type { Span } from '@opentelemetry/api';
import { PROTOCOL_VIOLATION_ACTION } from '../audit/record/audit-record.js';
import { newSummaryReport, type SummaryReport } from '../audit/record/summarize.js';
import { AuditedRequest, type AuditedRequestConfig } from './audited-request.js';
import type { Who } from './caller-identity.js';
import type { RejectedMessage } from './message-screen.js';
import type { DescribeRequest, RequestParams } from './method-audits.js';
import { sessionEventSpan, type SessionFields } from './session-record.js';

export type Clean = (text: string, report: SummaryReport) => string;

/** Who sent a refused message, and the connection's count of requests: what the embedded and the wire paths know apart. */
export interface RefusalContext {
  whoFor(requestId: string | null, report: SummaryReport): Who;
  countRequest(): void;
}

/** What a `protocol_violation` says of its message: the method it named (none for a response) and its id. */
export function violationFields(method: string | null, requestId: string | null, clean: Clean, report: SummaryReport): SessionFields {
  return { inputSummary: method === null ? {} : { method: clean(method, report) }, resultSummary: null, requestId };
}

/**
 * The record of a message refused before any server saw it (see
 * message-screen.ts), the same whether the embedded transport or the wire
 * proxy refused it: an audited request (a tools/call whose params are null,
 * a string...) gets the failed record of its action, built like any other;
 * anything else (a line that is not JSON, a message of no known shape) a
 * `protocol_violation`. Returns the record's span, ended.
 */
export function refusalSpan(
  rejected: RejectedMessage,
  methods: ReadonlyMap<string, DescribeRequest>,
  config: AuditedRequestConfig,
  clean: Clean,
  from: RefusalContext,
): Span {
  const report = newSummaryReport();
  const { sentId, method } = rejected;
  const requestId = sentId === null ? null : clean(typeof sentId === 'string' ? sentId : JSON.stringify(sentId), report);
  const who = from.whoFor(requestId, report);
  // A notification is never answered, so it is no audited request even when it names an audited method.
  const describe = method !== null && rejected.answered ? methods.get(method) : undefined;
  if (!describe || method === null) {
    return sessionEventSpan(
      config.tracer,
      PROTOCOL_VIOLATION_ACTION,
      who,
      violationFields(method, requestId, clean, report),
      report,
      rejected.message,
    );
  }
  from.countRequest();
  const params = rejected.params as RequestParams;
  const audited = new AuditedRequest(config, method, requestId ?? 'null', who, describe(params, report), report, params._meta);
  try {
    audited.summarizeInput();
  } catch {
    // A tool's own summariser threw on input it never expected: the record keeps an empty input_summary.
  }
  audited.failed({ message: rejected.message, type: String(rejected.code), code: rejected.code });
  return audited.span;
}
