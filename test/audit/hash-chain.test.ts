import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainHasher, GENESIS } from '../../src/audit/hash-chain.js';
import { auditRecord } from '../support/chained-trail.js';

const hasher = new ChainHasher('chain-test-key');

/** The definition the bytes must match: the record with `seq` and `prev_hash` appended, then `hash`. */
function byDefinition(record: object, previous: { seq: number; hash: string }): string {
  return JSON.stringify({ ...record, seq: previous.seq + 1, prev_hash: previous.hash });
}

test('a chained line is exactly the record with seq and prev_hash appended, then its hash, whatever the record looks like', () => {
  const previous = { seq: 41, hash: 'ab'.repeat(32) };
  const shapes: object[] = [
    auditRecord(7),
    { message: 'only one field', nested: { a: [1, 'two', null] }, skipped: undefined },
    {},
    { gone: undefined },
    { seq: 3, prev_hash: 'stale', other: 1 },
    { toJSON: () => ({ replaced: true }) },
    Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }),
  ];
  for (const record of shapes) {
    const { line, link } = hasher.chain(record, previous);
    const body = byDefinition(record, previous);
    assert.equal(line, `${body.slice(0, -1)},"hash":"${link.hash}"}\n`, JSON.stringify(record));
    assert.equal(link.seq, 42);
    assert.deepEqual(hasher.check(line.trimEnd()), { stored: link.hash, computed: link.hash });
  }
  assert.match(hasher.chain({ a: 1 }, GENESIS).line, /^\{"a":1,"seq":1,"prev_hash":"0{64}","hash":"[0-9a-f]{64}"\}\n$/);
});
