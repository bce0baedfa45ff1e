import type { SecretKind } from '../../src/audit/redaction/secret-patterns.js';

/**
 * One sample of each secret kind, each with a distinctive part that must not
 * appear anywhere once redacted. Built from pieces so that this file is not
 * itself mistaken for a leak by secret scanners.
 */
export interface SecretSample {
  kind: SecretKind;
  value: string;
  /** A substring that only the secret contains. */
  tell: string;
}

const jwt = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiJraW0tMTIzNDU2Nzg5MCJ9', 'c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5'].join('.');

export const SECRET_SAMPLES: readonly SecretSample[] = [
  { kind: 'bearer-token', value: 'Bearer ' + 'opaqueTok3nQ9zX7wV', tell: 'opaqueTok3nQ9zX7wV' },
  { kind: 'jwt', value: jwt, tell: 'c2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5' },
  {
    kind: 'private-key',
    value: [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAq7BFUpkGp3+LQmlQprivKeyBodyLine1',
      'kEyB0dyL1ne2zzzz',
      '-----END RSA PRIVATE KEY-----',
    ].join('\n'),
    tell: 'kEyB0dyL1ne2zzzz',
  },
  { kind: 'aws-access-key', value: 'AKIA' + 'Q3EGT7WXYZ2ABCDE', tell: 'Q3EGT7WXYZ2ABCDE' },
  { kind: 'github-token', value: 'ghp_' + 'R8aT5kLmN2pQ9sV4wX7yZ1bC3dE6fG0hJ2kL', tell: 'R8aT5kLmN2pQ9sV4wX7y' },
  { kind: 'slack-token', value: 'xoxb-' + '123456789012-1234567890123-SlAcKsEcReT9x', tell: 'SlAcKsEcReT9x' },
  { kind: 'stripe-key', value: 'sk_live_' + '51HstRiPeS3cr3tK3y9x8w7v', tell: 'RiPeS3cr3tK3y9x8w7v' },
  { kind: 'card-number', value: '4111 1111 1111 1111', tell: '4111 1111 1111 1111' },
  { kind: 'assigned-secret', value: 'password=' + 'hunter2xyz', tell: 'hunter2xyz' },
  { kind: 'aws-secret-key', value: 'aws_secret_access_key=' + 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYzQ8rT2vLkE', tell: 'bPxRfiCYzQ8rT2vLkE' },
  { kind: 'connection-string', value: 'postgres://' + 'app:' + 'Pg5ecretPw0rd' + '@db.internal:5432/tickets', tell: 'Pg5ecretPw0rd' },
  { kind: 'basic-auth', value: 'Authorization: Basic ' + 'a2ltOnMzY3IzdC1wYXNz', tell: 'a2ltOnMzY3IzdC1wYXNz' },
  { kind: 'slack-webhook', value: 'https://hooks.slack.com/services/' + 'T0001/B0002/' + 'WeBhOoKsEcReT7x', tell: 'WeBhOoKsEcReT7x' },
];
