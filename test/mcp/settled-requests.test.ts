import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idKey } from '../../src/mcp/json-rpc.js';
import { SettledRequests } from '../../src/mcp/settled-requests.js';

test('a response to no pending request: late once per cancellation, repeated after an answer, stray otherwise', () => {
  const settled = new SettledRequests();
  settled.cancelledRequest(idKey(1));
  settled.cancelledRequest(idKey(1));
  settled.answered(idKey('a'));
  assert.deepEqual(
    [idKey(1), idKey(1), idKey(1), idKey('a'), idKey('a'), idKey('1'), idKey(2)].map((key) => settled.unmatched(key)),
    ['late', 'late', 'stray', 'repeated', 'repeated', 'stray', 'stray'],
    'the string "1" is not the number 1',
  );
});

test('an id taken again after its request was cancelled: said once, and its late answer is no longer expected', () => {
  const settled = new SettledRequests();
  settled.cancelledRequest(idKey(7));
  assert.equal(settled.reusesCancelled(idKey(7)), true);
  assert.equal(settled.reusesCancelled(idKey(7)), false);
  assert.equal(settled.unmatched(idKey(7)), 'stray');
});

test('memory is bounded: the oldest settled ids are forgotten first, past 4096', () => {
  const settled = new SettledRequests();
  for (let id = 0; id <= 4096; id++) {
    settled.answered(idKey(id));
    settled.cancelledRequest(idKey(-1 - id));
  }
  assert.equal(settled.unmatched(idKey(0)), 'stray');
  assert.equal(settled.unmatched(idKey(1)), 'repeated');
  assert.equal(settled.unmatched(idKey(4096)), 'repeated');
  assert.equal(settled.unmatched(idKey(-1)), 'stray');
  assert.equal(settled.unmatched(idKey(-2)), 'late');
});
