import { SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { attachAuditDetails, type AuditDetails } from '../../src/audit/record/audit-details.js';

/** A real tracer provider for the audit-path tests, with the given processors. */
export function tracerWith(...spanProcessors: SpanProcessor[]) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'test-service' }), spanProcessors });
  return provider.getTracer('test');
}

export function toolCallDetails(overrides: Partial<AuditDetails> = {}): AuditDetails {
  return {
    action: 'tool_call',
    toolName: 'lookup_inventory',
    inputSummary: { query: 'monitor' },
    resultSummary: 'Found 3 items',
    error: null,
    requestId: '1',
    sessionId: null,
    client: { name: 'test-client', version: '1.0.0' },
    transport: 'in-memory',
    ...overrides,
  };
}

/** Starts and ends one audited span; `error` marks it failed. */
export function endAuditedSpan(tracer: ReturnType<typeof tracerWith>, details: AuditDetails, error?: string) {
  const span = tracer.startSpan(`tools/call ${details.toolName}`);
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  attachAuditDetails(span, error ? { ...details, error } : details);
  span.end();
  return span;
}
