import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, isSensitiveKey, newSummaryReport, summarizeArguments, summarizeValue, truncateText } from '../../../src/audit/record/summarize.js';

test('sensitive keys are recognised whatever their case or separators', () => {
  for (const key of [
    'password',
    'Password',
    'db_password',
    'API_KEY',
    'apiKey',
    'x-api-key',
    'Authorization',
    'clientSecret',
    'refresh_token',
    'awsCredentials',
    'private_key',
    'pwd',
    'Cookie',
  ]) {
    assert.equal(isSensitiveKey(key), true, key);
  }
  for (const key of ['query', 'title', 'author', 'description', 'priority', 'passenger']) {
    assert.equal(isSensitiveKey(key), false, key);
  }
});

test('values under sensitive keys are redacted at any depth, in objects and arrays', () => {
  const report = newSummaryReport();
  const summary = summarizeValue(
    {
      user: 'kim',
      Token: 'abc',
      nested: { deeper: { api_key: 'sk_live_123', keep: 1 }, list: [{ password: 'hunter2', name: 'x' }] },
      secret: { whole: 'object' },
    },
    { report },
  );
  assert.deepEqual(report, { redacted: true, truncated: false });
  assert.deepEqual(summary, {
    user: 'kim',
    Token: REDACTED,
    nested: { deeper: { api_key: REDACTED, keep: 1 }, list: [{ password: REDACTED, name: 'x' }] },
    secret: REDACTED,
  });
  assert.doesNotMatch(JSON.stringify(summary), /hunter2|sk_live_123|abc"/);
});

test('long strings are truncated with a visible marker', () => {
  assert.equal(truncateText('short', 10), 'short');
  const long = 'x'.repeat(300);
  const report = newSummaryReport();
  const cut = summarizeValue(long, { limits: { maxStringLength: 256, maxArrayItems: 20, maxDepth: 6 }, report });
  assert.equal(report.truncated, true);
  assert.equal(cut, `${'x'.repeat(256)}...[truncated 44 chars]`);
});

test('arrays and depth are bounded', () => {
  const limits = { maxStringLength: 50, maxArrayItems: 3, maxDepth: 2 };
  assert.deepEqual(summarizeValue([1, 2, 3, 4, 5], { limits }), [1, 2, 3, '...[+2 more items]']);
  assert.deepEqual(summarizeValue({ a: { b: { c: 1 } }, l: [[1]] }, { limits }), { a: { b: '[Object]' }, l: ['[Array(1)]'] });
});

test('only declared fields reach the summary', () => {
  const args = { query: 'monitor', injected: 'x'.repeat(10), password: 'p' };
  assert.deepEqual(summarizeArguments(args, ['query', 'password']), { query: 'monitor', password: REDACTED });
  assert.deepEqual(summarizeArguments(args, []), {});
  assert.deepEqual(summarizeArguments('not an object', ['query']), {});
  assert.deepEqual(summarizeArguments(null, ['query']), {});
});
