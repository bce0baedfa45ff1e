// The public API: what the author of any MCP server imports to audit it.
export { startAuditTrail, type AuditEvent, type AuditTrail, type AuditTrailConfig } from './telemetry/audit-trail.js';
export { shutdownGracefully } from './telemetry/graceful-shutdown.js';
export {
  instrumentMcpServer,
  type AuditRecorder,
  type McpAuditOptions,
  type McpServerInstrumentation,
} from './mcp/instrument-mcp-server.js';
export type { ToolAuditOptions } from './mcp/tool-audit-options.js';
export { JsonlAuditExporter, type JsonlAuditExporterConfig } from './audit/jsonl-audit-exporter.js';
export { AuditSpanProcessor } from './audit/audit-span-processor.js';
export {
  PROMPT_GET_ACTION,
  RESOURCE_READ_ACTION,
  SESSION_END_ACTION,
  SESSION_START_ACTION,
  TOOL_CALL_ACTION,
  TOOLS_LIST_ACTION,
  auditFileNameFor,
  type AuditClientInfo,
  type AuditRecord,
} from './audit/record/audit-record.js';
export { DEFAULT_SUMMARY_LIMITS, REDACTED, isSensitiveKey, type SummaryLimits } from './audit/record/summarize.js';
export { CAPTURE_LEVELS, type CaptureLevel, type CapturePolicy } from './audit/record/capture-levels.js';
export { DEFAULT_SENSITIVE_KEYS, DEFAULT_SENSITIVE_KEYS_EXACT, Redactor, type RedactionConfig } from './audit/redaction/redactor.js';
export type { SecretKind } from './audit/redaction/secret-patterns.js';
export { serviceResource } from './telemetry/audit-trail.js';
export { observabilityFromEnv, type Observability } from './telemetry/observability-from-env.js';
export { ForwardingSpanProcessor, type ForwardingSpanProcessorConfig } from './telemetry/forwarding-span-processor.js';
export { OperationDurationProcessor } from './telemetry/operation-duration-processor.js';
export { otlpTargetFromEnv, type OtlpTarget } from './telemetry/otlp-env.js';
export { StreamableHttpMcpServer, type StreamableHttpConfig } from './http/streamable-http-server.js';
export { PipedStdioServerTransport } from './mcp/stdio-server-transport.js';
export { BearerTokens } from './http/bearer-tokens.js';
export { DEFAULT_HTTP_LIMITS, httpLimitsFromEnv, type HttpLimits } from './http/http-limits.js';
export { auditTrailForNodeSdk, type SdkAuditTrail, type SdkAuditTrailConfig } from './telemetry/sdk-audit-trail.js';
