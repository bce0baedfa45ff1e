import type { CapturePolicy } from './capture-levels.js';
import { trailFileName } from '../trail/trail-file-name.js';

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
  /** Who acted: the authenticated principal on HTTP, the OS user running the server on stdio; null if unknown. */
  actor: string | null;
  client_address: string | null;
  protocol_version: string | null;
  /** Capture levels applied to input and result (tool calls); null for other events. */
  capture: CapturePolicy | null;
  /** True when a value in this record was replaced by a redaction marker. */
  redacted: boolean;
  /** True when a value in this record was cut short. */
  truncated: boolean;
  /**
   * The fields holding a redaction marker: top-level names, refined to the
   * first key under `input_summary` and `client` (`input_summary.note`,
   * `client.name`, `request_id`). Empty when `redacted` is false.
   */
  redacted_fields: string[];
  /**
   * Set only on a record written after its call was answered: the disk was full when the call ended, so the
   * call got an audit error (fail closed) and the record was kept in memory until it could be written.
   */
  late?: true;
}

export interface AuditClientInfo {
  name: string;
  version: string;
}

export const TOOL_CALL_ACTION = 'tool_call';
/** The actions of the events around tool calls; each is a record of the same schema. */
export const SESSION_START_ACTION = 'session_start';
export const SESSION_END_ACTION = 'session_end';
export const RESOURCE_READ_ACTION = 'resource_read';
export const PROMPT_GET_ACTION = 'prompt_get';
export const TOOLS_LIST_ACTION = 'tools_list';
/** A client broke the protocol in a way the trail must show (a request id reused while pending). */
export const PROTOCOL_VIOLATION_ACTION = 'protocol_violation';

/** `audit_2026-01-15.jsonl`: the UTC date of the record's own timestamp, never local time. */
export function auditFileNameFor(timestamp: string): string {
  return trailFileName(timestamp.slice(0, 10), 0);
}
