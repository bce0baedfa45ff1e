import { type CallToolResult, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { FULL_CAPTURE_LIMITS, type CaptureLevel } from '../audit/record/capture-levels.js';
import { redactAndTruncate, truncateText, type SummarizeOptions } from '../audit/record/summarize.js';

export function isCallToolResult(value: unknown): value is CallToolResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as CallToolResult).content);
}

/** The message of an `isError` result: the SDK puts thrown errors, unknown tools and bad arguments in its first text item. */
export function toolErrorMessage(result: CallToolResult): string {
  const text = result.content.find((item) => item.type === 'text');
  return text && 'text' in text ? text.text : 'tool returned isError without a message';
}

export function thrownErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Short enough for a record, whatever a tool throws. */
export const MAX_ERROR_LENGTH = 1000;

export function shortErrorMessage(error: unknown): string {
  return truncateText(thrownErrorMessage(error), MAX_ERROR_LENGTH);
}

/** What the client is told instead of an answer whose record could not be written (fail closed). */
export function auditWriteFailure(error: unknown, consequence: string): string {
  return `Audit record could not be written (${shortErrorMessage(error)}); ${consequence}`;
}

/**
 * What a request handler throws to the SDK for a JSON-RPC error: a plain Error with the code, which the SDK sends
 * as it is. Not the SDK's McpError: its message already starts "MCP error <code>: ", the SDK would send that as
 * the message, and the client, which adds the prefix itself, would show it twice.
 */
export function jsonRpcError(code: number, message: string): Error & { code: number } {
  return Object.assign(new Error(message), { code });
}

/** What a request handler throws to the SDK instead of an answer whose record could not be written. */
export function auditWriteError(error: unknown, consequence: string): Error & { code: number } {
  return jsonRpcError(ErrorCode.InternalError, auditWriteFailure(error, consequence));
}

/**
 * The summary used when a tool declares none: the shape of the result, never
 * its text, since results often hold personal data the trail should not copy.
 */
export function describeResult(result: CallToolResult): string {
  const parts = result.content.map((item) => (item.type === 'text' ? `text (${item.text.length} chars)` : item.type));
  if (result.structuredContent) parts.push('structured content');
  return parts.length > 0 ? parts.join(', ') : 'empty result';
}

/**
 * The `result_summary` at `level`: nothing, the shape, the tool's own short
 * summary (redacted, truncated; the shape if it has none), or the whole text
 * of the result, redacted.
 */
export function captureResult(
  level: CaptureLevel,
  result: CallToolResult,
  summarizeResult: ((result: CallToolResult) => string | null) | undefined,
  options: SummarizeOptions,
): string | null {
  switch (level) {
    case 'none':
      return null;
    case 'metadata':
      return describeResult(result);
    case 'summary': {
      if (!summarizeResult) return describeResult(result);
      let summary: string | null;
      try {
        summary = summarizeResult(result);
      } catch (error) {
        summary = `[result summary failed: ${thrownErrorMessage(error)}]`;
      }
      return summary === null ? null : redactAndTruncate(String(summary), options);
    }
    case 'full': {
      const texts = result.content.flatMap((item) => (item.type === 'text' ? [item.text] : []));
      if (texts.length === 0) return describeResult(result);
      return redactAndTruncate(texts.join('\n'), { ...options, limits: FULL_CAPTURE_LIMITS });
    }
  }
}

/** A JSON-RPC error as the record states it, in the form the SDK's McpError gives (`MCP error -32602: …`). */
export function jsonRpcFailure(error: { code?: unknown; message?: unknown }): { message: string; type: string; code?: number } {
  const code = typeof error.code === 'number' && Number.isSafeInteger(error.code) ? error.code : undefined;
  const text = typeof error.message === 'string' ? error.message : 'error without a message';
  return code === undefined ? { message: text, type: 'jsonrpc_error' } : { message: `MCP error ${code}: ${text}`, type: String(code), code };
}
