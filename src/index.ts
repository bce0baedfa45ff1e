// The public API: what the author of any MCP server imports to audit it.
export { startAuditTrail, type AuditEvent, type AuditTrail, type AuditTrailConfig } from './telemetry/audit-trail.js';
export { shutdownGracefully } from './telemetry/graceful-shutdown.js';
export {
  instrumentMcpServer,
  type McpAuditOptions,
  type McpServerInstrumentation,
  type ToolAuditOptions,
} from './mcp/instrument-mcp-server.js';
export { JsonlAuditExporter, type JsonlAuditExporterConfig } from './audit/jsonl-audit-exporter.js';
export { AuditSpanProcessor } from './audit/audit-span-processor.js';
export { TOOL_CALL_ACTION, auditFileNameFor, type AuditClientInfo, type AuditRecord } from './audit/audit-record.js';
export { DEFAULT_SUMMARY_LIMITS, REDACTED, isSensitiveKey, type SummaryLimits } from './audit/summarize.js';
