import type { AuditClientInfo } from './audit-record.js';
import type { CapturePolicy } from './capture-levels.js';

/**
 * What a span carries for the audit trail besides its timing and ids. It
 * travels beside the span, not in its attributes, so that arguments and
 * results never reach a forwarding exporter unless asked for (the MCP
 * conventions make them opt-in).
 */
export interface AuditDetails {
  action: string;
  toolName: string | null;
  inputSummary: Record<string, unknown>;
  resultSummary: string | null;
  /** The failure message; null on success. */
  error: string | null;
  requestId: string | null;
  sessionId: string | null;
  client: AuditClientInfo | null;
  transport: string | null;
  /** Who acted: the authenticated principal on HTTP, the OS user on stdio. */
  actor?: string | null;
  clientAddress?: string | null;
  protocolVersion?: string | null;
  /** The capture levels applied to this record's input and result. */
  capture?: CapturePolicy | null;
  /** Something in this record was replaced by a redaction marker. */
  redacted?: boolean;
  /** Something in this record was cut short. */
  truncated?: boolean;
}

// Keyed by the span object itself: the SDK hands the same object to every
// processor's onEnd, and the entry goes away with the span.
const detailsBySpan = new WeakMap<object, AuditDetails>();

export function attachAuditDetails(span: object, details: AuditDetails): void {
  detailsBySpan.set(span, details);
}

export function auditDetailsOf(span: object): AuditDetails | undefined {
  return detailsBySpan.get(span);
}
