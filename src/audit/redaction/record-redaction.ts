import type { AuditRecord } from '../record/audit-record.js';
import type { Redactor } from './redactor.js';
import { hasRedactionMarker } from './secret-patterns.js';

/**
 * The last pass over every record, whoever built it: the secret-value
 * patterns applied to every string a client, a tool or a transport can put
 * into it (keys of the input included), and `redacted_fields` set to the
 * fields that hold a redaction marker. The trace and span ids are left out
 * (hex, parsed by the propagator), as are the timestamp, numbers and enums.
 *
 * A field is named down to the first key of `input_summary` and `client`
 * (`input_summary.report`, `client.name`); at most MAX_LISTED_PATHS such
 * names, after which only the top-level field is listed, so the list stays
 * short whatever the input's breadth.
 */
const TEXT_FIELDS = [
  'tool_name',
  'result_summary',
  'error',
  'request_id',
  'session_id',
  'transport',
  'service',
  'actor',
  'client_address',
  'protocol_version',
] as const;
const MAX_LISTED_PATHS = 32;

interface Pass {
  redactor: Redactor;
  /** An earlier pass (the instrumentation's) redacted something: its markers are looked for too. */
  lookForMarkers: boolean;
  touched: Set<string>;
}

function touch(pass: Pass, path: string): void {
  pass.touched.add(pass.touched.size < MAX_LISTED_PATHS ? path : path.split('.', 1)[0]!);
}

function cleanText(text: string, path: string, pass: Pass): string {
  const cleaned = pass.redactor.redactText(text);
  if (cleaned !== text || (pass.lookForMarkers && hasRedactionMarker(text))) touch(pass, path);
  return cleaned;
}

/** `value` with every string (and object key) redacted; the same reference when nothing changed. */
function cleanValue(value: unknown, path: string, pass: Pass): unknown {
  if (typeof value === 'string') return cleanText(value, path, pass);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const cleaned = cleanValue(item, path, pass);
      if (cleaned !== item) (copy ??= [...value])[index] = cleaned;
    });
    return copy ?? value;
  }
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const cleanKey = cleanText(key, path, pass);
    const cleaned = cleanValue(item, path, pass);
    if (cleanKey !== key || cleaned !== item) changed = true;
    return [cleanKey, cleaned];
  });
  return changed ? withUniqueKeys(entries) : value;
}

/** Two keys redacted to the same marker keep both values: the second becomes `[REDACTED:kind]#2`. */
function withUniqueKeys(entries: Array<[string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    let unique = key;
    for (let n = 2; Object.hasOwn(object, unique); n++) unique = `${key}#${n}`;
    object[unique] = item;
  }
  return object;
}

/** A top-level object field, each of its keys cleaned as a path of its own. */
function cleanObjectField<T extends object | null>(field: string, value: T, pass: Pass): T {
  if (value === null) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const cleanKey = cleanText(key, field, pass);
    const cleaned = cleanValue(item, `${field}.${cleanKey}`, pass);
    if (cleanKey !== key || cleaned !== item) changed = true;
    return [cleanKey, cleaned];
  });
  return changed ? (withUniqueKeys(entries) as T) : value;
}

/**
 * Redacts `record` in place (its objects are replaced, not mutated, since
 * they may be shared with the span's details) and sets `redacted` and
 * `redacted_fields`. `alreadyRedacted`: the builder reports that it replaced
 * something itself.
 */
export function redactRecordFields(record: AuditRecord, redactor: Redactor, alreadyRedacted: boolean): void {
  const pass: Pass = { redactor, lookForMarkers: alreadyRedacted, touched: new Set() };
  for (const field of TEXT_FIELDS) {
    const value = record[field];
    if (typeof value === 'string') record[field] = cleanText(value, field, pass);
  }
  record.input_summary = cleanObjectField('input_summary', record.input_summary, pass);
  record.client = cleanObjectField('client', record.client, pass);
  record.redacted = alreadyRedacted || pass.touched.size > 0;
  record.redacted_fields = [...pass.touched];
}
