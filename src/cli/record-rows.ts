import type { AuditRecord } from '../audit/record/audit-record.js';
import { cut, painter, type Column } from './output.js';

/** The columns a human scans a list of records by; the full record is one `--json` away. */
export const RECORD_COLUMNS: Column[] = [
  { header: 'timestamp' },
  { header: 'action' },
  { header: 'tool' },
  { header: 'ok' },
  { header: 'ms', align: 'right' },
  { header: 'actor' },
  { header: 'session' },
  { header: 'error / result' },
];

export function recordRow(record: AuditRecord): string[] {
  return [
    record.timestamp,
    record.action ?? '-',
    record.tool_name ?? '-',
    record.success ? 'yes' : 'NO',
    typeof record.duration_ms === 'number' ? record.duration_ms.toFixed(2) : '-',
    record.actor ?? '-',
    record.session_id ? cut(record.session_id, 12) : '-',
    cut(record.success ? (record.result_summary ?? '') : (record.error ?? ''), 80),
  ];
}

/** Fixed widths, so lines that stream out one at a time (tail -f, large queries) still line up. */
const LINE_WIDTHS = [24, 13, 20, 3, 9, 14, 12];

/** One record as a line of fixed-width columns, the last (error or result) left unpadded. */
export function recordLine(record: AuditRecord): string {
  const cells = recordRow(record).map((cell, index) => {
    const width = LINE_WIDTHS[index];
    if (width === undefined) return cell;
    const fitted = cut(cell, width);
    return RECORD_COLUMNS[index]!.align === 'right' ? fitted.padStart(width) : fitted.padEnd(width);
  });
  const line = cells.join('  ');
  return record.success ? line : painter().red(line);
}

export function recordHeaderLine(): string {
  return painter().bold(
    RECORD_COLUMNS.map((column, index) => {
      const width = LINE_WIDTHS[index];
      if (width === undefined) return column.header;
      return column.align === 'right' ? column.header.padStart(width) : column.header.padEnd(width);
    }).join('  '),
  );
}
