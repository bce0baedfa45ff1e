// A real writer process whose idle spell idle-writer.test.ts watches with strace:
//   node idle-writer-child.js <log dir> <idle ms>
// Writes record 1, says "answered 1" on stdout (one write(2)), sits idle for <idle ms>, says "idle over", writes
// record 2, says "answered 2", closes the writer and says "closed".
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { trailWriterConfigFromEnv } from '../../src/audit/trail/trail-writer-config.js';
import { auditRecord } from './chained-trail.js';

const [dir, idleArg] = process.argv.slice(2);
if (dir && idleArg) {
  const writer = new ChainedTrailWriter(trailWriterConfigFromEnv(dir));
  writer.prepare();
  await writer.append(auditRecord(1));
  writeSync(1, 'answered 1\n');
  await sleep(Number(idleArg));
  writeSync(1, 'idle over\n');
  await writer.append(auditRecord(2));
  writeSync(1, 'answered 2\n');
  writer.close();
  writeSync(1, 'closed\n');
}
