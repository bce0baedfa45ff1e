// A real writer process whose system calls fsync-durability.test.ts watches with strace:
//   node fsync-writer-child.js <log dir> <pause ms> [first day, YYYY-MM-DD; default 2026-12-06]
// Configured from the environment (AUDIT_FSYNC, AUDIT_FSYNC_INTERVAL_MS), as the library and the proxy are. On a
// clock of its own (the writer's `now`) it writes six records: 1 on the first day; after a pause, 2 (still that day)
// and 3 (the next day) in one batch, so the writer switches files within one commit; after another pause, 4, 5 and
// 6 one after the other; then it closes the writer. Once a batch's records are acknowledged it writes
// "answered <n,…>" to stdout with one write(2), so the trace shows when the callers were answered.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { trailWriterConfigFromEnv } from '../../src/audit/trail/trail-writer-config.js';
import { auditRecord } from './chained-trail.js';

const [dir, pauseArg, firstDay = '2026-12-06'] = process.argv.slice(2);
if (dir && pauseArg) {
  let clock = new Date(`${firstDay}T23:59:58.000Z`);
  const writer = new ChainedTrailWriter({ ...trailWriterConfigFromEnv(dir), now: () => clock });
  const write = async (...records: number[]): Promise<void> => {
    await Promise.all(records.map((n) => writer.append(auditRecord(n, clock.toISOString()))));
    writeSync(1, `answered ${records.join(',')}\n`);
  };
  const pause = (): Promise<unknown> => sleep(Number(pauseArg));
  writer.prepare();
  await write(1);
  await pause();
  // Record 2 on the first day, record 3 on the next: appended together, one commit writes both files.
  const secondDay = new Date(clock.getTime() + 3000).toISOString();
  await Promise.all([writer.append(auditRecord(2, clock.toISOString())), writer.append(auditRecord(3, secondDay))]);
  clock = new Date(secondDay);
  writeSync(1, 'answered 2,3\n');
  await pause();
  for (const n of [4, 5, 6]) await write(n);
  writer.close();
  writeSync(1, 'closed\n');
}
