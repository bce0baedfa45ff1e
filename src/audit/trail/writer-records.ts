import type { AuditRecord } from '../record/audit-record.js';
import type { TightenedPermissions } from './owned-files.js';
import type { RecoveryFindings } from './trail-recovery.js';

/** Records the writer itself adds to the trail; they have no span, hence the all-zero (invalid) trace and span ids. */
export function writerRecord(
  timestamp: string,
  service: string,
  fields: Pick<AuditRecord, 'action' | 'input_summary' | 'result_summary' | 'success' | 'error'>,
): AuditRecord {
  return {
    timestamp,
    action: fields.action,
    tool_name: null,
    input_summary: fields.input_summary,
    result_summary: fields.result_summary,
    success: fields.success,
    error: fields.error,
    duration_ms: 0,
    trace_id: '0'.repeat(32),
    span_id: '0'.repeat(16),
    request_id: null,
    session_id: null,
    client: null,
    transport: null,
    service,
    actor: null,
    client_address: null,
    protocol_version: null,
    capture: null,
    redacted: false,
    truncated: false,
    redacted_fields: [],
  };
}

export const RECOVERY_ACTION = 'recovery';
export const GAP_ACTION = 'audit_gap';

/**
 * `recovery`: the files did not end where the head said and the writer
 * repaired that before writing on — a torn line closed off, records a dead
 * writer wrote but had not noted in the head taken over, a moved file, a
 * rebuilt head. `verify` uses `torn_lines` to tell an interrupted write from
 * tampering.
 */
export function recoveryRecord(timestamp: string, service: string, findings: RecoveryFindings): AuditRecord {
  const summary: string[] = [];
  if (findings.torn_lines) summary.push(`closed off ${findings.torn_lines.length} torn line(s)`);
  if (findings.adopted_records) summary.push(`took over ${findings.adopted_records} record(s) written before an interruption`);
  if (findings.foreign_lines) summary.push(`found ${findings.foreign_lines.length} line(s) not written by a chained writer`);
  if (findings.moved_file) summary.push(`${findings.moved_file.file} was moved or truncated; continuing in a new file`);
  if (findings.head) summary.push(findings.head);
  if (findings.missing_records) summary.push(missingRecordsSummary(findings.missing_records));
  if (findings.impostor_moved)
    summary.push(
      `${findings.impostor_moved.path} was ${findings.impostor_moved.was}: moved aside to ${findings.impostor_moved.moved_to}, never followed`,
    );
  return writerRecord(timestamp, service, {
    action: RECOVERY_ACTION,
    input_summary: { ...findings },
    result_summary: summary.join('; '),
    success: true,
    error: null,
  });
}

function missingRecordsSummary({ first_seq, last_seq, found_seq }: NonNullable<RecoveryFindings['missing_records']>): string {
  return `the trail ended at seq ${found_seq} but this writer had reached seq ${last_seq}: seq ${first_seq}..${last_seq} gone (log directory, files or head removed); the chain continues from seq ${last_seq}`;
}

/** What a run of failed writes left unwritten; written as an `audit_gap` record as soon as writing works again. */
export interface WriteGap {
  records: number;
  /** Records with `success: true`: calls that did their work and whose results were withheld. */
  succeeded: number;
  /** Kept in memory and written right after the gap record, marked `late`. */
  kept: number;
  /** Past the in-memory bound: only on stderr. */
  lost: number;
  first_timestamp: string;
  last_timestamp: string;
  error: string;
}

export function gapRecord(timestamp: string, service: string, gap: WriteGap): AuditRecord {
  const lost = gap.lost > 0 ? `; ${gap.lost} past the in-memory bound (AUDIT_BACKLOG_MAX_BYTES) are lost to the trail, printed on stderr only` : '';
  return writerRecord(timestamp, service, {
    action: GAP_ACTION,
    input_summary: {
      records_not_written: gap.records,
      first_timestamp: gap.first_timestamp,
      last_timestamp: gap.last_timestamp,
      succeeded: gap.succeeded,
      written_late: gap.kept,
      records_lost: gap.lost,
    },
    result_summary:
      `${gap.records} record(s) between ${gap.first_timestamp} and ${gap.last_timestamp} could not be written when their calls ended: ` +
      `the calls were refused or answered with an error instead of their result (${gap.succeeded} had succeeded: their effects happened, their results were withheld); ` +
      `${gap.kept} follow, written late (late: true)${lost}`,
    success: false,
    error: gap.error,
  });
}

export const PERMISSIONS_ACTION = 'permissions_tightened';

/**
 * `permissions_tightened`: files or directories of the trail were found readable or writable by group or others
 * (or the directory searchable by them) and the writer took those bits away before using them (owned-files.ts).
 */
export function permissionsRecord(timestamp: string, service: string, tightened: TightenedPermissions[]): AuditRecord {
  return writerRecord(timestamp, service, {
    action: PERMISSIONS_ACTION,
    input_summary: { tightened: tightened.map((entry) => ({ ...entry })) },
    result_summary: tightened.map((entry) => `${entry.path} was mode ${entry.mode_before}, now ${entry.mode_after}`).join('; '),
    success: true,
    error: null,
  });
}
