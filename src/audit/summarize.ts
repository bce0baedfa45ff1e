/**
 * Turns tool arguments into the `input_summary` of a record: only declared
 * fields, secrets under sensitive keys replaced, long values cut with a
 * visible marker, depth and breadth bounded so that one huge argument cannot
 * blow up a record.
 */
export const REDACTED = '[REDACTED]';

export interface SummaryLimits {
  /** Strings longer than this keep their head and gain a `...[truncated N chars]` marker. */
  maxStringLength: number;
  /** Arrays keep this many items and gain a `...[+N more items]` marker. */
  maxArrayItems: number;
  /** Objects and arrays nested deeper than this are replaced by a placeholder. */
  maxDepth: number;
}

export const DEFAULT_SUMMARY_LIMITS: SummaryLimits = {
  maxStringLength: 256,
  maxArrayItems: 20,
  maxDepth: 6,
};

// Compared against the key with case and separators removed, so that
// `API-Key`, `api_key` and `apiKey` are all caught.
const SENSITIVE_KEY_PARTS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'authorization',
  'credential', 'privatekey', 'cookie', 'sessionkey', 'accesskey', 'signature',
];
const SENSITIVE_KEYS_EXACT = new Set(['pwd', 'pass', 'auth', 'pin', 'otp', 'cvv', 'ssn']);

export function isSensitiveKey(key: string): boolean {
  const normalised = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SENSITIVE_KEYS_EXACT.has(normalised) || SENSITIVE_KEY_PARTS.some((part) => normalised.includes(part));
}

export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return `${text.slice(0, maxLength)}...[truncated ${text.length - maxLength} chars]`;
}

export function summarizeValue(value: unknown, limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS, depth = 0): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return truncateText(value, limits.maxStringLength);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (Array.isArray(value)) {
    if (depth >= limits.maxDepth) return `[Array(${value.length})]`;
    const kept = value.slice(0, limits.maxArrayItems).map((item) => summarizeValue(item, limits, depth + 1) ?? null);
    if (value.length > limits.maxArrayItems) kept.push(`...[+${value.length - limits.maxArrayItems} more items]`);
    return kept;
  }
  if (depth >= limits.maxDepth) return '[Object]';
  const summary: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const summarised = isSensitiveKey(key) ? REDACTED : summarizeValue(item, limits, depth + 1);
    if (summarised !== undefined) summary[key] = summarised;
  }
  return summary;
}

/**
 * The summary of a call's arguments: the declared fields present in `args`,
 * each summarised. Anything the tool did not declare is left out, so a client
 * cannot smuggle arbitrary data into the trail.
 */
export function summarizeArguments(
  args: unknown,
  declaredFields: readonly string[],
  limits: SummaryLimits = DEFAULT_SUMMARY_LIMITS,
): Record<string, unknown> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return {};
  const source = args as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const field of declaredFields) {
    if (Object.hasOwn(source, field)) picked[field] = source[field];
  }
  return summarizeValue(picked, limits) as Record<string, unknown>;
}
