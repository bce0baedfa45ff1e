// A writer process whose event loop freezes while it keeps the lock idle, and which then closes and exits at once:
//   node frozen-holder-child.js <dir> <freeze ms>
// Prints "idle" once it keeps the lock idle, then blocks for <freeze ms> (a synchronous tool handler, say), then closes
// its writer and exits in the same turn of the event loop, before any timer of proper-lockfile's can run.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from './chained-trail.js';
import { writerWentIdle } from './writer-idle.js';

const [dir, freezeArg] = process.argv.slice(2);

if (dir && freezeArg) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('child-key'), lockStaleMs: 2000 });
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  process.stdout.write('idle\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(freezeArg));
  writer.close();
  process.stdout.write(`leases lost ${writer.stats.leasesLost}\n`);
  process.exit(0);
}
