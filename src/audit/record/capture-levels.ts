import { pickDeclaredFields, REDACTED, summarizeValue, type SummarizeOptions, type SummaryLimits } from './summarize.js';
import { getDefaultRedactor } from '../redaction/redactor.js';

/**
 * How much of a call's input or result a record keeps, like the Kubernetes
 * audit levels: `none` nothing, `metadata` names and sizes, `summary` (the
 * default) redacted and truncated values, `full` every value, still redacted
 * but not truncated.
 */
export type CaptureLevel = 'none' | 'metadata' | 'summary' | 'full';
export const CAPTURE_LEVELS: readonly CaptureLevel[] = ['none', 'metadata', 'summary', 'full'];

export interface CapturePolicy {
  input: CaptureLevel;
  result: CaptureLevel;
}

/** No truncation; the depth bound stays, so a pathological nesting cannot exhaust the stack. */
export const FULL_CAPTURE_LIMITS: SummaryLimits = { maxStringLength: Infinity, maxArrayItems: Infinity, maxDepth: 32 };

export function parseCaptureLevel(value: string, source: string): CaptureLevel {
  if ((CAPTURE_LEVELS as readonly string[]).includes(value)) return value as CaptureLevel;
  throw new Error(`${source}: unknown capture level "${value}" (expected one of ${CAPTURE_LEVELS.join(', ')})`);
}

/** The global policy: config first, then AUDIT_CAPTURE_INPUT / AUDIT_CAPTURE_RESULT, then summary. */
export function capturePolicyFrom(config: Partial<CapturePolicy> = {}): CapturePolicy {
  const fromEnv = (name: string): CaptureLevel | undefined => {
    const value = process.env[name];
    return value ? parseCaptureLevel(value, name) : undefined;
  };
  return {
    input: config.input ? parseCaptureLevel(config.input, 'capture.input') : (fromEnv('AUDIT_CAPTURE_INPUT') ?? 'summary'),
    result: config.result ? parseCaptureLevel(config.result, 'capture.result') : (fromEnv('AUDIT_CAPTURE_RESULT') ?? 'summary'),
  };
}

/** A tool's own levels over the global ones; a misspelt level fails at startup, not silently. */
export function toolCapturePolicy(global: CapturePolicy, tool: Partial<CapturePolicy> = {}, toolName: string): CapturePolicy {
  return {
    input: tool.input ? parseCaptureLevel(tool.input, `tools.${toolName}.capture.input`) : global.input,
    result: tool.result ? parseCaptureLevel(tool.result, `tools.${toolName}.capture.result`) : global.result,
  };
}

function describeShape(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return { type: 'array', size: value.length };
  if (value === null) return { type: 'null' };
  if (typeof value === 'string') return { type: 'string', size: value.length };
  if (typeof value === 'object') return { type: 'object', size: Object.keys(value).length };
  return { type: typeof value };
}

/**
 * The `input_summary` of a call at `level`. `none`, `metadata` and `summary`
 * keep only the declared fields; `full` keeps everything the client sent.
 */
export function captureArguments(
  level: CaptureLevel,
  args: unknown,
  declaredFields: readonly string[],
  options: SummarizeOptions = {},
): Record<string, unknown> {
  switch (level) {
    case 'none':
      return {};
    case 'metadata': {
      const redactor = options.redactor ?? getDefaultRedactor();
      const shapes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(pickDeclaredFields(args, declaredFields))) {
        // Even the length of a password is more than the trail needs.
        if (redactor.isSensitiveKey(key)) {
          if (options.report) options.report.redacted = true;
          shapes[key] = REDACTED;
        } else {
          shapes[key] = describeShape(value);
        }
      }
      return shapes;
    }
    case 'summary':
      return summarizeValue(pickDeclaredFields(args, declaredFields), options) as Record<string, unknown>;
    case 'full': {
      const all = args !== null && typeof args === 'object' && !Array.isArray(args) ? args : {};
      return summarizeValue(all, { ...options, limits: FULL_CAPTURE_LIMITS }) as Record<string, unknown>;
    }
  }
}
