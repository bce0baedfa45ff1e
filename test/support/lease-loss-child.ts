// A writer process whose idle lock is taken from it, then exits while waiting for it again:
//   node lease-loss-child.js <dir>
// Appends one record, prints "idle" once its writer keeps the lock idle, waits for a line on stdin, appends a
// second record and, as soon as it has found its lock lost, exits (the record still waiting for the lock).
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { once } from 'node:events';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from './chained-trail.js';
import { writerWentIdle } from './writer-idle.js';

const [dir] = process.argv.slice(2);
if (dir) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('child-key') });
  await writer.append(auditRecord(1));
  await writerWentIdle(writer);
  process.stdout.write('idle\n');
  await once(process.stdin, 'data');
  void writer.append(auditRecord(2));
  while (writer.stats.leasesLost === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  process.exit(0);
}
