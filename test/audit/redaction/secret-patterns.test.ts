import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactor } from '../../../src/audit/redaction/redactor.js';
import { SECRET_SAMPLES } from '../../support/secrets.js';

// Pieces joined at run time, so that this file is not itself mistaken for a leak.
const join = (...parts: string[]): string => parts.join('');
const jwtCut = join('eyJhbGciOiJSUzI1NiJ9', '.', 'eyJzdWIiOiJraW0ifQ');
const pem = (label: string, body: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;

/** [text, what must be gone, the kind whose marker must appear]. */
const SECRETS: Array<[string, string, string]> = [
  [join('AWS_SECRET_ACCESS_KEY=', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), 'bPxRfiCYEXAMPLEKEY', 'aws-secret-key'],
  [join('aws_secret_access_key: ', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), 'bPxRfiCYEXAMPLEKEY', 'aws-secret-key'],
  [join('aws secret key ', 'Zx9+Qw8/Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb'), 'Zx9+Qw8/Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8Vb', 'aws-secret-key'],
  [join('{"SecretAccessKey": "', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '"}'), 'bPxRfiCYEXAMPLEKEY', 'aws-secret-key'],
  [join('secret_key=', 'a'.repeat(20), 'B/+9'.repeat(5)), 'B/+9B/+9', 'aws-secret-key'],
  // Longer than an AWS secret, but named as one: still redacted, whole.
  [join('aws_secret_access_key=', 'Q'.repeat(30), 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), 'QQQQ', 'aws-secret-key'],
  [join('xoxp-', '2958-1234567890-AbCdEfGh'), 'AbCdEfGh', 'slack-token'],
  [join('xoxa-', '2-1234567890-QwErTy'), 'QwErTy', 'slack-token'],
  [join('xapp-', '1-A0123-456-ZyXwVu98'), 'ZyXwVu98', 'slack-token'],
  [join('xoxe.', 'xoxp-', '1-Mi0yLTExNjA1-RoTaTe'), 'RoTaTe', 'slack-token'],
  [join('hooks.slack.com/services/', 'T0/B1/', 'SeCrEtPaTh99'), 'SeCrEtPaTh99', 'slack-webhook'],
  [jwtCut, 'eyJzdWIiOiJraW0ifQ', 'jwt'],
  [`sess-${jwtCut}`, 'eyJzdWIiOiJraW0ifQ', 'jwt'],
  [join('eyJhbGci-OiJSUzI1NiJ9', '.', 'eyJzdWIiOiJraW0ifQ', '.sig-_x'), 'eyJzdWIiOiJraW0ifQ', 'jwt'],
  [pem('PRIVATE KEY', 'MIIEvQpkcs8BodyQ'), 'pkcs8BodyQ', 'private-key'],
  [pem('ENCRYPTED PRIVATE KEY', 'MIIFHDBOencBodyQ'), 'encBodyQ', 'private-key'],
  [pem('OPENSSH PRIVATE KEY', 'b3BlbnNzaC1rZXktdjEsshBodyQ'), 'sshBodyQ', 'private-key'],
  [pem('EC PRIVATE KEY', 'MHcCAQEEecBodyQ'), 'ecBodyQ', 'private-key'],
  [pem('PGP PRIVATE KEY BLOCK', 'lQOYBGpgpBodyQ'), 'pgpBodyQ', 'private-key'],
  ['"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBjsonEscapedBody\\n-----END RSA PRIVATE KEY-----"', 'jsonEscapedBody', 'private-key'],
  [join('postgres://', 'app:', 'Pw0rdOne', '@db:5432/x'), 'Pw0rdOne', 'connection-string'],
  [join('postgresql://', 'app:', 'p@ss@Word2', '@db/x'), 'ss@Word2', 'connection-string'],
  [join('mongodb+srv://', 'u:', 'MongoPw3', '@cluster0.example.net/db'), 'MongoPw3', 'connection-string'],
  [join('redis://', ':', 'RedisPw4', '@cache:6379'), 'RedisPw4', 'connection-string'],
  [join('amqp://', 'guest:', 'RabbitPw5', '@mq'), 'RabbitPw5', 'connection-string'],
  [join('jdbc:mysql://', 'root:', 'MyPw6xyz', '@db:3306/app'), 'MyPw6xyz', 'connection-string'],
  [join('https://', 'kim:', 'HttpPw7x', '@intranet.example/'), 'HttpPw7x', 'connection-string'],
  [join('Server=db;User Id=app;', 'Password=', 'AdoPw8xyz', ';'), 'AdoPw8xyz', 'assigned-secret'],
  [join('token: ', 'Bearer ', 'TokAfterName9'), 'TokAfterName9', 'assigned-secret'],
  [join('Authorization: ', 'Basic ', 'dXNlcjpwYXNzd29yZA=='), 'dXNlcjpwYXNzd29yZA', 'basic-auth'],
  [join('card 3782 822463 ', '10005'), '822463', 'card-number'],
];

for (const [text, tell, kind] of SECRETS) {
  test(`redacted: ${JSON.stringify(text).slice(0, 60)}`, () => {
    const redacted = new Redactor().redactText(`before ${text} after`);
    assert.ok(!redacted.includes(tell), redacted);
    assert.ok(redacted.includes(`[REDACTED:${kind}]`), redacted);
    assert.ok(redacted.startsWith('before '), redacted);
  });
}

test('what names a secret stays readable: the key name, the user and the host', () => {
  const redactor = new Redactor();
  assert.equal(redactor.redactText(join('postgres://', 'app:', 'Pw0rdOne', '@db:5432/x')), 'postgres://app:[REDACTED:connection-string]@db:5432/x');
  assert.equal(
    redactor.redactText(join('aws_secret_access_key = ', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')),
    'aws_secret_access_key = [REDACTED:aws-secret-key]',
  );
});

const NOT_SECRETS = [
  'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed it',
  'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  'request 123e4567-e89b-12d3-a456-426614174000',
  'digit uuid 42345678-1234-5678-1234-567812345678',
  'ticket TCK-0A1B2C3D and TCK-12345678',
  'base64 of a 40 char hash: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12',
  'see https://example.com:8443/path@v2 and ssh://git@github.com:22/org/repo',
  'mailto:kim@example.com',
  'call +49 30 1234 5678 90, order 2024-0815-4711',
  'USB-C / HDMI adapter, 27" monitor, ~5 kg, v2.1.3',
  'the secret key rotation is done',
  'a basic troubleshooting guide for the bearer of bad news',
  'eyes on eyJ only',
  'an eyebrow-pencil-case-study.eyeliner',
  'password policy: at least 12 characters',
  '[REDACTED:jwt] and [REDACTED] stay as they are',
];

for (const text of NOT_SECRETS) {
  test(`kept: ${JSON.stringify(text)}`, () => {
    assert.equal(new Redactor().redactText(text), text);
  });
}

test('a second pass changes nothing: markers are not secrets', () => {
  const redactor = new Redactor({ emails: true });
  const texts = [...SECRETS.map(([text]) => text), ...SECRET_SAMPLES.map((sample) => `token: ${sample.value}`), 'kim@example.com'];
  for (const text of texts) {
    const once = redactor.redactText(text);
    assert.equal(redactor.redactText(once), once, text);
  }
});

/** Filler shaped like the start of each pattern, so that a pattern that backtracks over it would take quadratic time. */
const ADVERSARIAL_UNITS = [
  'ey-',
  'eyJ.',
  '-eyJhbGciOiJ',
  'eyJhbGciOiJ-',
  'a.',
  'a@',
  'a@b.',
  '-----BEGIN ',
  '-----BEGIN PRIVATE KEY-----',
  'bearer ',
  'Bearer\t',
  'password=',
  'password="',
  "token='",
  'token: ',
  'secret key ',
  'aws_secret_access_key=',
  'xoxb-',
  'xoxe.',
  'sk_live_',
  'a://',
  'a://b:',
  'postgres://u:',
  '2 ',
  '4111-',
  '1234567890',
  'AKIA',
  'ghp_',
  'hooks.slack.com/services/',
  'Authorization: Basic ',
  ' ',
  'A',
];

// A pattern gone quadratic turns these 1 MB strings into minutes: the timeout makes that a failure, not a hang.
test('1 MB of adversarial filler per pattern is processed, and a secret after it is still found', { timeout: 120_000 }, () => {
  const redactor = new Redactor({ emails: true });
  const stripe = SECRET_SAMPLES.find((sample) => sample.kind === 'stripe-key')!;
  for (const unit of ADVERSARIAL_UNITS) {
    const filler = unit.repeat(Math.ceil((1 << 20) / unit.length));
    const redacted = redactor.redactText(`${filler}\n${stripe.value}\n`);
    assert.ok(!redacted.includes(stripe.tell), `after ${JSON.stringify(unit)}`);
    // Some fillers name the secret that follows (`bearer `, `password=`): then its marker is theirs.
    assert.match(redacted.slice(-80), /\[REDACTED:[a-z-]+\]\n?$/, `after ${JSON.stringify(unit)}`);
  }
});
