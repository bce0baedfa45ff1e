import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedDifference } from '../../bench/stats.js';

test('paired rounds: the mean of after − before, its standard error and the rounds made faster, by hand', () => {
  // Differences -3, -1, +1, -5: mean -2, sample variance (1 + 1 + 9 + 9) / 3 = 20/3, SE sqrt(20/3 / 4).
  const result = pairedDifference([10, 20, 30, 40], [7, 19, 31, 35]);
  assert.equal(result.mean, -2);
  assert.ok(Math.abs(result.standardError - Math.sqrt(20 / 3 / 4)) < 1e-12);
  assert.deepEqual([result.faster, result.rounds], [3, 4]);
  // A constant shift has no spread: the error is zero, whatever the level of each round.
  assert.deepEqual(pairedDifference([100, 300, 200], [90, 290, 190]), { mean: -10, standardError: 0, faster: 3, rounds: 3 });
  assert.throws(() => pairedDifference([1, 2], [1]), /same length/);
  assert.throws(() => pairedDifference([1], [1]), /at least 2/);
});
