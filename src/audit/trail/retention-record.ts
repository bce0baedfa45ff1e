import type { AuditRecord } from '../record/audit-record.js';
import type { RetentionPlan } from './trail-retention.js';
import { writerRecord } from './writer-records.js';

export const RETENTION_ACTION = 'retention';

/**
 * `retention`: written into the trail, chained, before retention deletes
 * anything, naming each file it retires with its seq range, the start anchor
 * before the run and the one the trail continues from. `verify` uses these to
 * tell records retired by policy from records deleted by anyone else.
 */
export function retentionRecord(timestamp: string, service: string, days: number, plan: RetentionPlan): AuditRecord {
  const ranges = plan.retire.map(
    ({ file, first_seq, last_seq }) => `${file} (${first_seq === null ? 'no records' : `seq ${first_seq}..${last_seq}`})`,
  );
  const stuck = plan.start.seq < Math.max(0, ...plan.retire.map((file) => file.last_seq ?? 0));
  const summary =
    `retired ${plan.retire.length} file(s) older than ${days} day(s): ${ranges.join(', ')}; the trail starts after seq ${plan.start.seq}` +
    (stuck ? ` (records missing before the retired ones keep it there: retention does not hide a gap it did not make)` : '');
  return writerRecord(timestamp, service, {
    action: RETENTION_ACTION,
    input_summary: { retired: plan.retire.map((file) => ({ ...file })), start_before: { ...plan.start_before }, start: { ...plan.start } },
    result_summary: summary,
    success: true,
    error: null,
  });
}
