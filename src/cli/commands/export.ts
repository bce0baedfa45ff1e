import type { AuditRecord } from '../../audit/record/audit-record.js';
import { UsageError } from '../command.js';
import { defineCommand, DIR_HELP, HELP_HELP } from '../command-line.js';
import { readTrailRecords } from '../record-reader.js';
import { FILTER_HELP, FILTER_OPTIONS, RecordFilter } from '../record-filter.js';
import { writeOut } from '../output.js';

const HELP = `Usage: mcp-audit export [DIR] [--format csv|json | --json] [options]

Writes the matching records to stdout, streamed: csv (RFC 4180, one header
row with every field of the record, the chain's seq, prev_hash and hash
last; nested fields as JSON text) for spreadsheets, or json (one JSON array).

${DIR_HELP}
  --format FORMAT    csv or json (default csv)
  --json             the same as --format json
${HELP_HELP}
${FILTER_HELP}
`;

/** A record as the trail holds it: the chain's fields close every line (hash-chain.ts). */
type ChainedRecord = AuditRecord & { seq?: number; prev_hash?: string; hash?: string };

/** Every field of the record, in schema order; `client` is split in two so a spreadsheet can sort by it. */
const CSV_COLUMNS: Array<[string, (record: ChainedRecord) => unknown]> = [
  ['timestamp', (r) => r.timestamp],
  ['action', (r) => r.action],
  ['tool_name', (r) => r.tool_name],
  ['input_summary', (r) => r.input_summary],
  ['result_summary', (r) => r.result_summary],
  ['success', (r) => r.success],
  ['error', (r) => r.error],
  ['duration_ms', (r) => r.duration_ms],
  ['trace_id', (r) => r.trace_id],
  ['span_id', (r) => r.span_id],
  ['request_id', (r) => r.request_id],
  ['session_id', (r) => r.session_id],
  ['client_name', (r) => r.client?.name],
  ['client_version', (r) => r.client?.version],
  ['transport', (r) => r.transport],
  ['service', (r) => r.service],
  ['actor', (r) => r.actor],
  ['client_address', (r) => r.client_address],
  ['protocol_version', (r) => r.protocol_version],
  ['redacted', (r) => r.redacted],
  ['truncated', (r) => r.truncated],
  // Last, so that the columns of earlier exports keep their places; absent from records written before it existed.
  ['redacted_fields', (r) => r.redacted_fields ?? []],
  // Added later still, in the order of the record: absent (empty cells) from records written before each existed.
  ['capture', (r) => r.capture],
  ['late', (r) => r.late],
  ['seq', (r) => r.seq],
  ['prev_hash', (r) => r.prev_hash],
  ['hash', (r) => r.hash],
];

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (= + - @ at
 * the start) gets a leading apostrophe: the trail holds client-typed text,
 * and an export must not turn it into code on an auditor's machine.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const exportCommand = defineCommand({
  summary: 'matching records as CSV or a JSON array',
  help: HELP,
  options: { ...FILTER_OPTIONS, format: { type: 'string' } },
  trail: true,
  json: true,
  async run({ values, trail }) {
    if (values.json && values.format !== undefined && values.format !== 'json')
      throw new UsageError(`--json asks for JSON, --format for ${values.format}: give one`);
    const format = values.json ? 'json' : (values.format ?? 'csv');
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format: expected csv or json, got "${format}"`);
    const filter = new RecordFilter(values);
    const dir = trail();
    let count = 0;
    await writeOut(format === 'csv' ? CSV_COLUMNS.map(([name]) => name).join(',') + '\r\n' : '[');
    for await (const { record } of readTrailRecords(dir, { skipFile: filter.skipFile })) {
      if (!filter.matches(record)) continue;
      if (format === 'csv') await writeOut(CSV_COLUMNS.map(([, field]) => csvCell(field(record))).join(',') + '\r\n');
      else await writeOut(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(record)}`);
      count++;
    }
    if (format === 'json') await writeOut(count === 0 ? ']\n' : '\n]\n');
    process.stderr.write(`exported ${count} record(s)\n`);
    return 0;
  },
});
