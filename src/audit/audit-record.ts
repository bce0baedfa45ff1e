/**
 * One line of the audit trail. Field names and types follow the seed schema
 * (timestamp … duration_ms) so that existing jq / PowerShell recipes keep
 * working; the fields after it answer "who" and link the record to its trace.
 */
export interface AuditRecord {
  /** ISO 8601 UTC with milliseconds, e.g. 2026-01-15T09:30:00.123Z. */
  timestamp: string;
  /** Kind of event; "tool_call" for every MCP tools/call request. */
  action: string;
  tool_name: string | null;
  /** The tool's declared input fields, redacted and truncated. */
  input_summary: Record<string, unknown>;
  result_summary: string | null;
  success: boolean;
  error: string | null;
  /** Wall time of the call in milliseconds, microsecond precision. */
  duration_ms: number;
  trace_id: string;
  span_id: string;
  /** The JSON-RPC id, as a string so that numeric and string ids compare alike. */
  request_id: string | null;
  session_id: string | null;
  client: AuditClientInfo | null;
  transport: string | null;
  service: string;
}

export interface AuditClientInfo {
  name: string;
  version: string;
}

export const TOOL_CALL_ACTION = 'tool_call';

/** `audit_2026-01-15.jsonl`: the UTC date of the record's own timestamp, never local time. */
export function auditFileNameFor(timestamp: string): string {
  return `audit_${timestamp.slice(0, 10)}.jsonl`;
}
