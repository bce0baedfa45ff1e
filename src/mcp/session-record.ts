import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { attachAuditDetails, type AuditDetails } from '../audit/record/audit-details.js';
import { cappedId, type SummaryReport } from '../audit/record/summarize.js';
import { cappedWho, commonAttributes, type Who } from './caller-identity.js';

export type SessionFields = Pick<AuditDetails, 'inputSummary' | 'resultSummary'> & Partial<Pick<AuditDetails, 'requestId' | 'toolName'>>;

/** What a `session_start` record says: the version the client asked for, its capability names, and the version agreed. */
export function sessionStartFields(
  initializeParams: Record<string, unknown>,
  agreedVersion: unknown,
  clean: (text: string, report: SummaryReport) => string,
  report: SummaryReport,
): SessionFields {
  const capabilities = initializeParams['capabilities'];
  const names = capabilities && typeof capabilities === 'object' ? Object.keys(capabilities).map((name) => clean(name, report)) : [];
  const requested = initializeParams['protocolVersion'];
  return {
    inputSummary: { requested_protocol_version: typeof requested === 'string' ? clean(requested, report) : null, client_capabilities: names },
    resultSummary: `protocol ${typeof agreedVersion === 'string' ? clean(agreedVersion, report) : 'unknown'}`,
  };
}

/** What a `session_end` record says: how long the session lasted and how many requests it made. */
export function sessionEndFields(startedAt: number, requests: number): SessionFields {
  return { inputSummary: {}, resultSummary: `closed after ${((Date.now() - startedAt) / 1000).toFixed(3)} s and ${requests} requests` };
}

/**
 * An event of a connection (a session's start or end, a protocol violation):
 * one span, ended at once, whose record has no request to answer. An `error`
 * marks it failed.
 */
export function sessionEventSpan(
  tracer: Tracer,
  action: string,
  who: Who,
  fields: SessionFields,
  report: SummaryReport,
  error: string | null = null,
): Span {
  who = cappedWho(who, report);
  if (typeof fields.requestId === 'string') fields = { ...fields, requestId: cappedId(fields.requestId, report) };
  const span = tracer.startSpan(action, { kind: SpanKind.SERVER, attributes: commonAttributes(action, who) });
  if (error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  const { networkTransport: _networkTransport, ...whoRecorded } = who;
  attachAuditDetails(span, { action, toolName: null, error, requestId: null, ...whoRecorded, ...fields, ...report });
  span.end();
  return span;
}
