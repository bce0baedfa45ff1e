import { getDefaultRedactor, type Redactor } from '../redaction/redactor.js';

/**
 * Turns values (tool arguments, result text) into what a record may hold:
 * secrets under sensitive keys replaced, secrets inside any string replaced
 * by value pattern, long values cut with a visible marker, depth and breadth
 * bounded so that one huge argument cannot blow up a record. A report says
 * whether anything was redacted or truncated.
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

/** What a record says about its own content. */
export interface SummaryReport {
  redacted: boolean;
  truncated: boolean;
}

export interface SummarizeOptions {
  limits?: SummaryLimits;
  redactor?: Redactor;
  /** Set to true where something is redacted or truncated; never reset. */
  report?: SummaryReport;
}

export function newSummaryReport(): SummaryReport {
  return { redacted: false, truncated: false };
}

export function isSensitiveKey(key: string): boolean {
  return getDefaultRedactor().isSensitiveKey(key);
}

export function truncateText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  return `${text.slice(0, maxLength)}...[truncated ${text.length - maxLength} chars]`;
}

/**
 * Request and session ids are kept whole up to this length: far beyond any
 * real id (a UUID is 36), short enough that a client cannot have megabytes
 * copied into every record.
 */
export const MAX_ID_LENGTH = 256;

/**
 * An id as a record keeps it: one within MAX_ID_LENGTH as it is (the
 * record's last pass redacts it), a longer one redacted, then cut with the
 * usual marker, and `report.truncated` set.
 */
export function cappedId(id: string, report: SummaryReport, redactor: Redactor = getDefaultRedactor()): string {
  if (id.length <= MAX_ID_LENGTH) return id;
  return cleanText(id, { redactor, report, limits: { ...DEFAULT_SUMMARY_LIMITS, maxStringLength: MAX_ID_LENGTH } });
}

interface Summarizer {
  limits: SummaryLimits;
  redactor: Redactor;
  report: SummaryReport;
}

function summarizerFor(options: SummarizeOptions): Summarizer {
  return {
    limits: options.limits ?? DEFAULT_SUMMARY_LIMITS,
    redactor: options.redactor ?? getDefaultRedactor(),
    report: options.report ?? newSummaryReport(),
  };
}

/** Redacts secrets in `text`, then truncates it: in that order, so a cut never leaves half a secret visible. */
export function redactAndTruncate(text: string, options: SummarizeOptions = {}): string {
  const { limits, redactor, report } = summarizerFor(options);
  return cleanText(text, { limits, redactor, report });
}

/**
 * How far past the cut a string is still scanned: far enough that any secret
 * starting before the cut is matched whole (the longest fixed-size one is 93
 * characters; private-key blocks and JWTs also match when cut short), while a
 * 5 KB description costs a scan of 1.3 KB rather than all of it.
 */
const SCAN_PAST_CUT = 1024;

function cleanText(text: string, summarizer: Summarizer): string {
  const limit = summarizer.limits.maxStringLength;
  const scanned = text.length > limit + SCAN_PAST_CUT ? text.slice(0, limit + SCAN_PAST_CUT) : text;
  const redacted = summarizer.redactor.redactText(scanned);
  if (redacted !== scanned) summarizer.report.redacted = true;
  if (scanned === text && redacted.length <= limit) return redacted;
  summarizer.report.truncated = true;
  return `${redacted.slice(0, limit)}...[truncated ${Math.max(0, text.length - limit)} chars]`;
}

function summarize(value: unknown, summarizer: Summarizer, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return cleanText(value, summarizer);
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  const { limits, report } = summarizer;
  if (Array.isArray(value)) {
    if (depth >= limits.maxDepth) {
      report.truncated = true;
      return `[Array(${value.length})]`;
    }
    const kept = value.slice(0, limits.maxArrayItems).map((item) => summarize(item, summarizer, depth + 1) ?? null);
    if (value.length > limits.maxArrayItems) {
      report.truncated = true;
      kept.push(`...[+${value.length - limits.maxArrayItems} more items]`);
    }
    return kept;
  }
  if (depth >= limits.maxDepth) {
    report.truncated = true;
    return '[Object]';
  }
  const summary: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    let summarised: unknown;
    if (summarizer.redactor.isSensitiveKey(key)) {
      report.redacted = true;
      summarised = REDACTED;
    } else {
      summarised = summarize(item, summarizer, depth + 1);
    }
    if (summarised !== undefined) summary[key] = summarised;
  }
  return summary;
}

export function summarizeValue(value: unknown, options: SummarizeOptions = {}): unknown {
  return summarize(value, summarizerFor(options), 0);
}

/** The declared fields present in `args`; anything the tool did not declare is left out, so a client cannot smuggle data into the trail. */
export function pickDeclaredFields(args: unknown, declaredFields: readonly string[]): Record<string, unknown> {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return {};
  const source = args as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const field of declaredFields) {
    if (Object.hasOwn(source, field)) picked[field] = source[field];
  }
  return picked;
}

/** The summary of a call's arguments: the declared fields present in `args`, each summarised. */
export function summarizeArguments(args: unknown, declaredFields: readonly string[], options: SummarizeOptions = {}): Record<string, unknown> {
  return summarizeValue(pickDeclaredFields(args, declaredFields), options) as Record<string, unknown>;
}
