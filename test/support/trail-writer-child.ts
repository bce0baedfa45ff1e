// A real writer process for the multi-process and crash tests:
//   node trail-writer-child.js <dir> <writer-id> <count (0 = until killed)> <padding bytes> [close|exit|hang]
// Appends records in bursts of 50 and prints "acked <n>" once the first n are written. Then, by the last
// argument: `close` (default) closes the writer; `exit` exits without closing it, leaving the rest to the
// exit handler as startAuditTrail does; `hang` blocks the event loop with the lock still held, until killed.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { ChainedTrailWriter } from '../../src/audit/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/hash-chain.js';
import { auditRecord } from './chained-trail.js';

const [dir, writerId, countArg, paddingArg, then = 'close'] = process.argv.slice(2);
if (dir && writerId) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('child-key'), lockStaleMs: 2000 });
  process.on('exit', () => writer.flushSync());
  writer.prepare();
  const count = Number(countArg ?? 0);
  const padding = 'x'.repeat(Number(paddingArg ?? 0));
  for (let n = 0; count === 0 || n < count; ) {
    const burst = Array.from({ length: 50 }, () => n++).filter((i) => count === 0 || i < count);
    await Promise.all(burst.map((i) => writer.append(auditRecord(i, undefined, { request_id: `${writerId}-${i}`, result_summary: padding }))));
    process.stdout.write(`acked ${n}\n`);
  }
  if (then === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (then === 'exit') process.exit(0);
  writer.close();
  process.stdout.write(`lock waits ${writer.stats.lockWaits}\n`);
}
