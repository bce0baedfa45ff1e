import { SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AuditDetails } from './audit-details.js';
import type { AuditRecord } from './audit-record.js';

function hrTimeToMilliseconds([seconds, nanos]: HrTime): number {
  return seconds * 1e3 + nanos / 1e6;
}

export function spanToAuditRecord(span: ReadableSpan, details: AuditDetails): AuditRecord {
  const failed = span.status.code === SpanStatusCode.ERROR;
  const { traceId, spanId } = span.spanContext();
  return {
    timestamp: new Date(Math.floor(hrTimeToMilliseconds(span.startTime))).toISOString(),
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
    service: String(span.resource.attributes['service.name'] ?? 'unknown_service'),
    actor: details.actor ?? null,
    client_address: details.clientAddress ?? null,
    protocol_version: details.protocolVersion ?? null,
    capture: details.capture ?? null,
    redacted: details.redacted ?? false,
    truncated: details.truncated ?? false,
  };
}
