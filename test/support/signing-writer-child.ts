// A real writer process configured from the environment, as the library and the proxy are (AUDIT_SIGNING_KEY_FILE,
// AUDIT_CHECKPOINT_*): node signing-writer-child.js <dir> <writer-id> <count> [YYYY-MM-DD, the records' day] [pause ms]
// Appends records in bursts of 25 (pausing that long after each, so that an asynchronous mirror copy ends while
// the writer is open), then closes the writer (a clean shutdown: the last checkpoint is signed) and
// prints "done". Run without arguments (as `node --test dist/test/` does) it does nothing.
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { trailWriterConfigFromEnv } from '../../src/audit/trail/trail-writer-config.js';
import { auditRecord } from './chained-trail.js';

const [dir, writerId, countArg, day, pauseArg] = process.argv.slice(2);
if (dir && writerId) {
  const writer = new ChainedTrailWriter(trailWriterConfigFromEnv(dir));
  writer.prepare();
  const count = Number(countArg);
  const timestamp = () => (day ? `${day}T12:00:00.000Z` : new Date().toISOString());
  for (let n = 0; n < count; ) {
    const burst = Array.from({ length: Math.min(25, count - n) }, () => n++);
    await Promise.all(burst.map((i) => writer.append(auditRecord(i, timestamp(), { request_id: `${writerId}-${i}` }))));
    if (pauseArg) await new Promise((resolve) => setTimeout(resolve, Number(pauseArg)));
  }
  writer.close();
  process.stdout.write('done\n');
}
