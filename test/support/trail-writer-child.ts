// A real writer process for the multi-process and crash tests:
//   node trail-writer-child.js <dir> <writer-id> <count (0 = until killed, or until the file $STOP_FILE exists)> <padding bytes> [close|exit|hang|freeze]
// Appends records in bursts of 50 and prints "acked <n>" once the first n are written. Then, by the last
// argument: `close` (default) closes the writer; `exit` exits without closing it, leaving the rest to the
// exit handler as startAuditTrail does; `hang` blocks the event loop with the lock still held, until killed;
// `freeze` blocks it for 3 s (past the 2 s stale time) with the lock held, then appends `count` more and closes.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { existsSync } from 'node:fs';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from './chained-trail.js';

const [dir, writerId, countArg, paddingArg, then = 'close'] = process.argv.slice(2);
if (dir && writerId) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('child-key'), lockStaleMs: 2000 });
  process.on('exit', () => writer.flushSync());
  writer.prepare();
  const count = Number(countArg ?? 0);
  const padding = 'x'.repeat(Number(paddingArg ?? 0));
  const stopFile = process.env['STOP_FILE'];
  for (let n = 0; (count === 0 || n < count) && !(stopFile && existsSync(stopFile)); ) {
    const burst = Array.from({ length: 50 }, () => n++).filter((i) => count === 0 || i < count);
    await Promise.all(burst.map((i) => writer.append(auditRecord(i, undefined, { request_id: `${writerId}-${i}`, result_summary: padding }))));
    process.stdout.write(`acked ${n}\n`);
  }
  if (then === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (then === 'freeze') {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
    await Promise.all(Array.from({ length: count }, (_, i) => writer.append(auditRecord(count + i, undefined, { request_id: `${writerId}-${count + i}` }))));
    process.stdout.write(`acked ${2 * count}\n`);
  }
  if (then === 'exit') process.exit(0);
  writer.close();
  process.stdout.write(`lock waits ${writer.stats.lockWaits}\nleases lost ${writer.stats.leasesLost}\n`);
}
