import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SourceRateLimiter, sourceKey } from '../../src/http/source-rate-limiter.js';

test('a source gets a burst of its per-minute allowance, then one more as each share of a minute passes', () => {
  let now = 0;
  const limiter = new SourceRateLimiter(6, () => now);
  const burst = Array.from({ length: 10 }, () => limiter.allow('10.0.0.1'));
  assert.deepEqual(burst, [true, true, true, true, true, true, false, false, false, false]);
  assert.equal(limiter.allow('10.0.0.2'), true, 'another source has its own allowance');
  now += 9_000;
  assert.equal(limiter.allow('10.0.0.1'), false, 'less than a tenth of a minute later');
  now += 1_000;
  assert.equal(limiter.allow('10.0.0.1'), true);
  assert.equal(limiter.allow('10.0.0.1'), false);
});

test('across all sources at most ten times the per-source allowance passes, however many addresses', () => {
  const limiter = new SourceRateLimiter(2, () => 0);
  let allowed = 0;
  for (let i = 0; i < 200; i++) if (limiter.allow(`10.0.${i >> 8}.${i & 255}`)) allowed++;
  assert.equal(allowed, 20);
});

test('IPv4 counts by address (also when mapped into IPv6), IPv6 by its /64', () => {
  assert.equal(sourceKey('192.0.2.7'), '192.0.2.7');
  assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(sourceKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:db8:1:2::99'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:0db8::1'), '2001:db8:0:0::/64');
  assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  assert.equal(sourceKey(null), 'unknown');
  const limiter = new SourceRateLimiter(1, () => 0);
  assert.equal(limiter.allow('2001:db8:1:2::a'), true);
  assert.equal(limiter.allow('2001:db8:1:2::b'), false, 'the same /64 is the same source');
});
