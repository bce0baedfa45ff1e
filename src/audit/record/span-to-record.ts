import { SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AuditDetails } from './audit-details.js';
import type { AuditRecord } from './audit-record.js';
import { serviceNameOf } from './service-name.js';
import { redactRecordFields } from '../redaction/record-redaction.js';
import { getDefaultRedactor, type Redactor } from '../redaction/redactor.js';

function hrTimeToMilliseconds([seconds, nanos]: HrTime): number {
  return seconds * 1e3 + nanos / 1e6;
}

// Date#toISOString costs about 2 µs, more than the rest of the record: the
// seconds part is formatted once per second and shared by the records in it.
let cachedSecond = Number.NaN;
let cachedSecondPrefix = '';

/** The same string as `new Date(ms).toISOString()` for an integer `ms`. */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Outside years 0000-9999 the format widens (±YYYYYY): no shortcut there.
    if (iso.length !== 24) return new Date(ms).toISOString();
    cachedSecond = second;
    cachedSecondPrefix = iso.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${cachedSecondPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * The record of an audited span. Every string in it goes through the secret
 * patterns here, whoever built the details (see record-redaction.ts).
 */
export function spanToAuditRecord(span: ReadableSpan, details: AuditDetails, redactor: Redactor = getDefaultRedactor()): AuditRecord {
  // The details' error counts too: a tool may have set OK, which is final, on the span before its call failed.
  const failed = details.error != null || span.status.code === SpanStatusCode.ERROR;
  const { traceId, spanId } = span.spanContext();
  const record: AuditRecord = {
    timestamp: isoTimestamp(Math.floor(hrTimeToMilliseconds(span.startTime))),
    action: details.action,
    tool_name: details.toolName,
    input_summary: details.inputSummary,
    result_summary: details.resultSummary,
    success: !failed,
    error: failed ? (details.error ?? span.status.message ?? 'unknown error') : null,
    duration_ms: Math.round(hrTimeToMilliseconds(span.duration) * 1e3) / 1e3,
    trace_id: traceId,
    span_id: spanId,
    request_id: details.requestId,
    session_id: details.sessionId,
    client: details.client,
    transport: details.transport,
    service: serviceNameOf(span.resource),
    actor: details.actor ?? null,
    client_address: details.clientAddress ?? null,
    protocol_version: details.protocolVersion ?? null,
    capture: details.capture ?? null,
    redacted: details.redacted ?? false,
    truncated: details.truncated ?? false,
    redacted_fields: [],
  };
  redactRecordFields(record, redactor, details.redacted ?? false);
  return record;
}
