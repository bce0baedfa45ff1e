import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CapturePolicy } from '../audit/record/capture-levels.js';

/** How one tool's calls are recorded, given by the server's author (McpAuditOptions.tools). */
export interface ToolAuditOptions {
  /** Replaces the default summary (declared fields) at the `summary` level; its output is still redacted and truncated. */
  summarizeInput?: (args: Record<string, unknown>) => Record<string, unknown>;
  /** A short description such as "Found 3 items"; called for successful results at the `summary` level. */
  summarizeResult?: (result: CallToolResult) => string | null;
  /** Capture levels for this tool, overriding the global ones. */
  capture?: Partial<CapturePolicy>;
}
