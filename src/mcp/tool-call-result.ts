import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { truncateText } from '../audit/summarize.js';

const MAX_ERROR_LENGTH = 1000;

export function isCallToolResult(value: unknown): value is CallToolResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as CallToolResult).content);
}

/** The message of an `isError` result: the SDK puts thrown errors, unknown tools and bad arguments in its first text item. */
export function toolErrorMessage(result: CallToolResult): string {
  const text = result.content.find((item) => item.type === 'text');
  return truncateText(text && 'text' in text ? text.text : 'tool returned isError without a message', MAX_ERROR_LENGTH);
}

export function thrownErrorMessage(error: unknown): string {
  return truncateText(error instanceof Error ? error.message : String(error), MAX_ERROR_LENGTH);
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
