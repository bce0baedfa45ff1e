import type { AuditRecord } from '../../src/audit/record/audit-record.js';

/** A tool-call record as the exporter makes them, with `n` in its input to tell records apart. */
export function auditRecord(n: number, timestamp = new Date().toISOString(), overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    timestamp,
    action: 'tool_call',
    tool_name: 'lookup_inventory',
    input_summary: { query: `q${n}` },
    result_summary: 'Found 1 item',
    success: true,
    error: null,
    duration_ms: 1.5,
    trace_id: 'ab'.repeat(16),
    span_id: 'cd'.repeat(8),
    request_id: String(n),
    session_id: null,
    client: null,
    transport: 'stdio',
    service: 'test-service',
    actor: 'tester',
    client_address: null,
    protocol_version: null,
    capture: null,
    redacted: false,
    truncated: false,
    redacted_fields: [],
    ...overrides,
  };
}
