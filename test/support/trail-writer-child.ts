// A real writer process for the multi-process and crash tests:
//   node trail-writer-child.js <dir> <writer-id> <count (0 = until killed, or until the file $STOP_FILE exists)> <padding bytes> [close|exit|hang|hang-lagging|freeze]
// Appends records in bursts of 50 and prints "acked <n>" once the first n are written. Then, by the last
// argument: `close` (default) closes the writer; `exit` exits without closing it, leaving the rest to the
// exit handler as startAuditTrail does; `hang` blocks the event loop with the lock still held, until killed;
// `hang-lagging` does the same once the head on disk is behind the records acknowledged (appending more bursts
// until one is committed without a head write: a loaded machine may rewrite the head right after a commit), and
// prints "hanging" first;
// `freeze` blocks it for 3 s (past the 2 s stale time) with the lock held, then appends `count` more and closes.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { readTrailHead } from '../../src/audit/trail/trail-head.js';
import { auditRecord } from './chained-trail.js';

const [dir, writerId, countArg, paddingArg, then = 'close'] = process.argv.slice(2);
const hasher = new ChainHasher('child-key');

/** Whether the head on disk says less than the trail files hold. */
function headLags(directory: string): boolean {
  const read = readTrailHead(join(directory, 'audit.head.json'), hasher);
  const lines = readdirSync(directory)
    .filter((name) => name.endsWith('.jsonl'))
    .reduce((sum, name) => sum + readFileSync(join(directory, name), 'utf8').split('\n').length - 1, 0);
  return read.status === 'ok' && read.head.last.seq < lines;
}

if (dir && writerId) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher, lockStaleMs: 2000 });
  process.on('exit', () => writer.flushSync());
  writer.prepare();
  const count = Number(countArg ?? 0);
  const padding = 'x'.repeat(Number(paddingArg ?? 0));
  const stopFile = process.env['STOP_FILE'];
  const appendAll = (from: number, to: number): Promise<unknown> =>
    Promise.all(
      Array.from({ length: to - from }, (_, k) => from + k).map((i) =>
        writer.append(auditRecord(i, undefined, { request_id: `${writerId}-${i}`, result_summary: padding })),
      ),
    );
  let n = 0;
  while ((count === 0 || n < count) && !(stopFile && existsSync(stopFile))) {
    const from = n;
    n += 50;
    await appendAll(from, count === 0 ? n : Math.min(n, count));
    process.stdout.write(`acked ${n}\n`);
  }
  if (then === 'hang-lagging') {
    // Once the head on disk lags, nothing more runs here (the event loop blocks next): the kill leaves it so.
    while (!headLags(dir)) {
      await appendAll(n, n + 50);
      n += 50;
      process.stdout.write(`acked ${n}\n`);
    }
    process.stdout.write('hanging\n');
  }
  if (then === 'hang' || then === 'hang-lagging') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (then === 'freeze') {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
    await Promise.all(
      Array.from({ length: count }, (_, i) => writer.append(auditRecord(count + i, undefined, { request_id: `${writerId}-${count + i}` }))),
    );
    process.stdout.write(`acked ${2 * count}\n`);
  }
  if (then === 'exit') process.exit(0);
  writer.close();
  process.stdout.write(`lock waits ${writer.stats.lockWaits}\nleases lost ${writer.stats.leasesLost}\n`);
}
