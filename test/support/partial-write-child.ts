// Run under a file size limit (`ulimit -f`) so that one write of a batch reaches the file only in part:
//   node partial-write-child.js <dir> <count>
// Appends <count> records in one commit, closes the writer and prints each record's outcome as JSON.
// Run without arguments (as `node --test dist/test/` does) it does nothing.
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from './chained-trail.js';

const [dir, countArg] = process.argv.slice(2);
if (dir && countArg) {
  const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher('child-key') });
  const records = Array.from({ length: Number(countArg) }, (_, i) =>
    auditRecord(i, undefined, { request_id: `partial-${i}`, result_summary: 'x'.repeat(200) }),
  );
  const outcomes = await Promise.allSettled(records.map((record) => writer.append(record)));
  writer.close();
  process.stdout.write(JSON.stringify(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? 'written' : String(outcome.reason)))));
}
