import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { attachAuditDetails, type AuditDetails } from '../audit/record/audit-details.js';
import type { Redactor } from '../audit/redaction/redactor.js';

/** An audit event: `action` names it; a non-null `error` marks it failed. */
export type AuditEvent = Partial<Omit<AuditDetails, 'action'>> & { action: string; attributes?: Attributes };

/**
 * Records an event that is not a tool call (an auth failure, a session
 * start): one span named after the action, one record. Resolves once
 * `awaitRecord` says the record is written.
 */
export function recordAuditEvent(
  tracer: Tracer,
  awaitRecord: (span: Span) => Promise<void>,
  redactor: Redactor,
  { attributes, ...event }: AuditEvent,
): Promise<void> {
  // An auth failure's message may quote the credential it rejected.
  if (event.error) event.error = redactor.redactText(event.error);
  const span = tracer.startSpan(event.action, { kind: SpanKind.SERVER, ...(attributes ? { attributes } : {}) });
  if (event.error) span.setStatus({ code: SpanStatusCode.ERROR, message: event.error });
  attachAuditDetails(span, {
    toolName: null,
    inputSummary: {},
    resultSummary: null,
    error: null,
    requestId: null,
    sessionId: null,
    client: null,
    transport: null,
    ...event,
  });
  span.end();
  return awaitRecord(span);
}
