import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTimestamp } from '../../../src/audit/record/span-to-record.js';

test('isoTimestamp gives exactly what Date#toISOString gives, across seconds, years and the format edges', () => {
  const cases = [
    0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    1001,
    -1,
    -999,
    -1000,
    -1001,
    Date.UTC(2026, 0, 15, 9, 30, 0, 123),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(2027, 0, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1, // 10000: six-digit year
    -62167219200000,
    -62167219200001, // year 0000 and the last millisecond before it
    8.64e15,
    -8.64e15,
  ];
  // Consecutive milliseconds in one second and into the next: the cached prefix must follow.
  for (let ms = Date.UTC(2026, 5, 1) - 5; ms < Date.UTC(2026, 5, 1) + 1005; ms++) cases.push(ms);
  for (const ms of cases) assert.equal(isoTimestamp(ms), new Date(ms).toISOString(), `at ${ms}`);
});
