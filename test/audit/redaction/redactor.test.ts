import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureArguments } from '../../../src/audit/record/capture-levels.js';
import { DEFAULT_SENSITIVE_KEYS, DEFAULT_SENSITIVE_KEYS_EXACT, Redactor } from '../../../src/audit/redaction/redactor.js';
import { passesLuhn } from '../../../src/audit/redaction/secret-patterns.js';
import { newSummaryReport, REDACTED, redactAndTruncate, summarizeValue } from '../../../src/audit/record/summarize.js';
import { SECRET_SAMPLES } from '../../support/secrets.js';

for (const sample of SECRET_SAMPLES) {
  test(`a ${sample.kind} inside a string at depth is replaced, the text around it kept`, () => {
    const report = newSummaryReport();
    const input = { ticket: { notes: [{ body: `before ${sample.value} after` }], title: 'printer' } };
    const summary = summarizeValue(input, { report });
    const text = JSON.stringify(summary);
    assert.ok(!text.includes(sample.tell), text);
    assert.match(text, new RegExp(`before .*\\[REDACTED:${sample.kind}\\].* after`));
    assert.match(text, /printer/);
    assert.deepEqual(report, { redacted: true, truncated: false });
  });
}

test('text without secrets comes back as the same string and leaves the report clean', () => {
  const report = newSummaryReport();
  const plain = 'Monitor flickers on desk 4B, ticket TCK-1A2B3C4D, asset 1234567';
  assert.equal(redactAndTruncate(plain, { report }), plain);
  assert.deepEqual(report, { redacted: false, truncated: false });
});

test('digit runs that fail the Luhn check are not card numbers', () => {
  assert.equal(passesLuhn('4111111111111111'), true);
  assert.equal(passesLuhn('4111111111111112'), false);
  assert.equal(new Redactor().redactText('order 4111 1111 1111 1112'), 'order 4111 1111 1111 1112');
  assert.equal(new Redactor().redactText('card 5500-0000-0000-0004.'), 'card [REDACTED:card-number].');
});

test('e-mail addresses are redacted only when asked', () => {
  assert.equal(new Redactor().redactText('from kim@example.com'), 'from kim@example.com');
  assert.equal(new Redactor({ emails: true }).redactText('from kim@example.com'), 'from [REDACTED:email]');
});

test('an unterminated private-key block is redacted to the end of the string', () => {
  const text = 'key: -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
  assert.equal(new Redactor().redactText(text), 'key: [REDACTED:private-key]');
});

test('redaction runs before truncation, so a cut never leaves the head of a secret', () => {
  const report = newSummaryReport();
  const secret = SECRET_SAMPLES.find((sample) => sample.kind === 'aws-access-key')!.value;
  const text = `${'x'.repeat(249)} ${secret}`;
  const cut = redactAndTruncate(text, { report, limits: { maxStringLength: 256, maxArrayItems: 20, maxDepth: 6 } });
  assert.ok(!cut.includes('AKIA'), cut);
  assert.deepEqual(report, { redacted: true, truncated: true });
});

test('the key list is configurable, and AUDIT_SENSITIVE_KEYS extends it', () => {
  const custom = new Redactor({ sensitiveKeys: ['iban'] });
  assert.deepEqual(summarizeValue({ IBAN: 'DE89', password: 'p' }, { redactor: custom }), { IBAN: REDACTED, password: 'p' });
  process.env['AUDIT_SENSITIVE_KEYS'] = 'employee_number, badge';
  try {
    const fromEnv = new Redactor();
    assert.equal(fromEnv.isSensitiveKey('employeeNumber'), true);
    assert.equal(fromEnv.isSensitiveKey('badge_id'), true);
    assert.equal(fromEnv.isSensitiveKey('password'), true);
  } finally {
    delete process.env['AUDIT_SENSITIVE_KEYS'];
  }
  assert.equal(new Redactor({ sensitiveKeysExact: ['pin'] }).isSensitiveKey('spinner'), false);
});

test('a key asked about again, or after thousands of others, gets the same verdict', () => {
  const redactor = new Redactor();
  const expected = (index: number): boolean => index % 3 === 0;
  const keyFor = (index: number): string => (expected(index) ? `user_Password_${index}` : `field_${index}`);
  // Well past the verdict cache's bound, twice over, so answers come both fresh and cached.
  for (let pass = 0; pass < 2; pass++) {
    for (let index = 0; index < 3000; index++) assert.equal(redactor.isSensitiveKey(keyFor(index)), expected(index), keyFor(index));
  }
  assert.equal(redactor.isSensitiveKey('X-API-Key'), true);
  assert.equal(redactor.isSensitiveKey('pin'), true);
  assert.equal(redactor.isSensitiveKey('spinner'), false);
});

test('capture levels: none keeps nothing, metadata names and sizes, summary cut values, full everything', () => {
  const args = { query: 'm'.repeat(300), tags: ['a', 'b'], token: 'abc', extra: 'undeclared' };
  const declared = ['query', 'tags', 'token'];
  assert.deepEqual(captureArguments('none', args, declared), {});

  const metadataReport = newSummaryReport();
  assert.deepEqual(captureArguments('metadata', args, declared, { report: metadataReport }), {
    query: { type: 'string', size: 300 },
    tags: { type: 'array', size: 2 },
    token: REDACTED,
  });
  assert.deepEqual(metadataReport, { redacted: true, truncated: false });

  const summaryReport = newSummaryReport();
  const summary = captureArguments('summary', args, declared, { report: summaryReport });
  assert.equal(summary['query'], `${'m'.repeat(256)}...[truncated 44 chars]`);
  assert.equal(summary['extra'], undefined);
  assert.deepEqual(summaryReport, { redacted: true, truncated: true });

  const fullReport = newSummaryReport();
  const full = captureArguments('full', { ...args, note: `key ${SECRET_SAMPLES[3]!.value}` }, declared, { report: fullReport });
  assert.equal(full['query'], 'm'.repeat(300));
  assert.equal(full['extra'], 'undeclared');
  assert.equal(full['token'], REDACTED);
  assert.equal(full['note'], 'key [REDACTED:aws-access-key]');
  assert.deepEqual(fullReport, { redacted: true, truncated: false });
});

test('only the head of a long string is scanned, yet a long secret crossing the scan window is still caught', () => {
  const report = newSummaryReport();
  const payload = 'eyJ' + 'P'.repeat(3000);
  const text = `${'x'.repeat(200)} token eyJhbGciOiJIUzI1NiJ9.${payload}.sig ${'y'.repeat(5000)}`;
  const cut = redactAndTruncate(text, { report });
  assert.ok(!cut.includes('PPPP'), cut);
  assert.match(cut, /token \[REDACTED:jwt\]\.\.\.\[truncated \d+ chars\]$/);
  assert.deepEqual(report, { redacted: true, truncated: true });
});

test('keys longer than 64 characters are judged like any other, every time, and never kept in the verdict cache', () => {
  const redactor = new Redactor();
  const cache = (redactor as unknown as { keyVerdicts: Map<string, boolean> }).keyVerdicts;
  const longSensitive = `${'x'.repeat(70)}_Password`;
  const longPlain = 'y'.repeat(80);
  for (let round = 0; round < 2; round++) {
    assert.equal(redactor.isSensitiveKey(longSensitive), true);
    assert.equal(redactor.isSensitiveKey(longPlain), false);
    assert.equal(redactor.isSensitiveKey(`${'z'.repeat(62)}pin`), false); // exact names match whole keys only
  }
  assert.equal(cache.size, 0);
  assert.deepEqual(summarizeValue({ [longSensitive]: 'hunter2', [longPlain]: 'kept' }, { redactor }), {
    [longSensitive]: REDACTED,
    [longPlain]: 'kept',
  });
  // 64 characters is still cached; the cache is emptied rather than grown past 1,024 names.
  assert.equal(redactor.isSensitiveKey(`${'s'.repeat(58)}secret`), true);
  assert.equal(cache.size, 1);
  for (let i = 0; i < 1023; i++) redactor.isSensitiveKey(`field_${i}`);
  assert.equal(cache.size, 1024);
  assert.equal(redactor.isSensitiveKey('one_more_token'), true);
  assert.equal(cache.size, 1);
});

test('every default key name is sensitive as part of a key, every exact one only as the whole key', () => {
  const redactor = new Redactor();
  assert.deepEqual(
    [...DEFAULT_SENSITIVE_KEYS],
    [
      'password',
      'passwd',
      'passphrase',
      'secret',
      'token',
      'apikey',
      'authorization',
      'credential',
      'privatekey',
      'cookie',
      'sessionkey',
      'accesskey',
      'signature',
    ],
  );
  for (const part of DEFAULT_SENSITIVE_KEYS) assert.equal(redactor.isSensitiveKey(`X-User_${part.toUpperCase()}-value`), true, part);
  assert.deepEqual([...DEFAULT_SENSITIVE_KEYS_EXACT], ['pwd', 'pass', 'auth', 'pin', 'otp', 'cvv', 'ssn']);
  for (const exact of DEFAULT_SENSITIVE_KEYS_EXACT) {
    assert.equal(redactor.isSensitiveKey(exact.toUpperCase()), true, exact);
    assert.equal(redactor.isSensitiveKey(`${exact}x`), false, `${exact}x`);
  }
  assert.equal(redactor.isSensitiveKey('spinner'), false);
});

test('a configured key that is only separators matches nothing; AUDIT_SENSITIVE_KEYS is split on commas, spaces and empty items ignored', () => {
  assert.equal(new Redactor({ sensitiveKeys: ['--', 'iban'] }).isSensitiveKey('name'), false);
  process.env['AUDIT_SENSITIVE_KEYS'] = ' employee_number ,, badge_id,';
  try {
    const redactor = new Redactor({ sensitiveKeys: [] });
    assert.equal(redactor.isSensitiveKey('EmployeeNumber'), true);
    assert.equal(redactor.isSensitiveKey('badge-id'), true);
    assert.equal(redactor.isSensitiveKey('name'), false);
  } finally {
    delete process.env['AUDIT_SENSITIVE_KEYS'];
  }
});

test('AUDIT_REDACT_EMAILS=true turns e-mail redaction on, any other value leaves it off; the option wins over it', () => {
  for (const [value, expected] of [
    ['true', 'from [REDACTED:email]'],
    ['yes', 'from kim@example.com'],
  ] as const) {
    process.env['AUDIT_REDACT_EMAILS'] = value;
    try {
      assert.equal(new Redactor().redactText('from kim@example.com'), expected, value);
      assert.equal(new Redactor({ emails: false }).redactText('from kim@example.com'), 'from kim@example.com');
    } finally {
      delete process.env['AUDIT_REDACT_EMAILS'];
    }
  }
});
