/**
 * Secrets recognised by their value, wherever they appear inside a string:
 * the gitleaks rules for the common credential formats, secrets named by the
 * word before them (`password=…`, `aws_secret_access_key …`, a URL's
 * `user:password@`), card numbers that pass the Luhn check and (opt-in)
 * e-mail addresses. One combined regular expression, so a string is scanned
 * once whatever the number of kinds.
 *
 * Cost stays linear in the string's length: a pattern whose body can repeat
 * its own first characters starts only where that run starts (a lookbehind,
 * not `\b`), and every gap between a name and its value is bounded. Without
 * that, `ey-ey-ey-…` or `a.a.a.…` took quadratic time (minutes for 1 MB).
 */
export type SecretKind =
  | 'private-key'
  | 'jwt'
  | 'bearer-token'
  | 'basic-auth'
  | 'aws-access-key'
  | 'aws-secret-key'
  | 'github-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-key'
  | 'connection-string'
  | 'card-number'
  | 'assigned-secret'
  | 'email';

// Node 20's regular expressions have no inline (?i): spell a word in both cases.
function anyCase(word: string): string {
  return [...word].map((char) => (/[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char)).join('');
}

const ASSIGNED_KEYS = ['password', 'passwd', 'pwd', 'secret', 'token', 'api_?key', 'api-key', 'access_?key', 'client_?secret', 'private_?key']
  .map((key) => key.split('_?').map(anyCase).join('[_-]?'))
  .join('|');
const SEP = String.raw`[_ .-]?`;
const AWS_SECRET_NAME = `(?:${anyCase('aws')}${SEP})?${anyCase('secret')}${SEP}(?:${anyCase('access')}${SEP})?${anyCase('key')}`;
// Between a name and its value: a closing quote, `=` or `:` (or neither), an opening quote.
const NAME_TO_VALUE = String.raw`["']?\s{0,4}[=:]?\s{0,4}["']?`;
const NOT_A_MARKER = String.raw`(?!\[REDACTED)`; // a second pass leaves an earlier marker as it is

const PATTERNS: ReadonlyArray<readonly [SecretKind, string]> = [
  // Any private-key PEM block (PKCS#1/#8, encrypted, OpenSSH, PGP). Cut short or unterminated: to the end.
  ['private-key', String.raw`-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)`],
  // The signature is optional so that a token cut short (or unsigned) still matches. The header may
  // follow a `-` (`sess-eyJ…`) but holds at most three: each start then scans a bounded number of chunks.
  ['jwt', String.raw`(?<![A-Za-z0-9_])ey(?=[A-Za-z0-9_-]{10})[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+){0,3}\.ey[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)?`],
  ['bearer-token', String.raw`(?<![A-Za-z0-9])${anyCase('bearer')}\s{1,8}${NOT_A_MARKER}[A-Za-z0-9\-._~+/]{8,}=*`],
  ['basic-auth', String.raw`${anyCase('authorization')}${NAME_TO_VALUE}${anyCase('basic')}\s{1,8}[A-Za-z0-9+/]{4,}={0,2}`],
  ['aws-access-key', String.raw`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`],
  // 40 (or more) characters of base64 only after a word naming them: a bare 40-hex git SHA is not a secret.
  ['aws-secret-key', String.raw`(?<![A-Za-z0-9])${AWS_SECRET_NAME}${NAME_TO_VALUE}[A-Za-z0-9/+]{40,}={0,2}(?![A-Za-z0-9/+=])`],
  ['github-token', String.raw`\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{82})\b`],
  ['slack-token', String.raw`(?<![A-Za-z0-9])(?:xoxe\.)?(?:xox[abeoprs]|xapp)-[0-9A-Za-z-]{10,}`],
  ['slack-webhook', String.raw`hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{8,}`],
  ['stripe-key', String.raw`\b(?:sk|rk)_(?:test|live|prod)_[0-9A-Za-z]{10,99}\b`],
  // scheme://user:password@host — the password up to the last `@` before the path (an unencoded `@` in it too).
  ['connection-string', String.raw`(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@?#]{0,256}:${NOT_A_MARKER}[^\s/?#]{1,512}@`],
  // Card layouts only: 13–19 digits in a row, 4-4-4-4(-3), or Amex/Diners 4-6-5/4-6-4; issuers start with 2–6.
  // Any other grouping (a UUID made of digits, a phone number) is not a card.
  ['card-number', String.raw`\b(?:[2-6]\d{12,18}|[2-6]\d{3}[ -]\d{4}[ -]\d{4}[ -]\d{4}(?:[ -]?\d{3})?|3\d{3}[ -]\d{6}[ -]\d{4,5})\b`],
  [
    'assigned-secret',
    String.raw`\b(?:${ASSIGNED_KEYS})\s{0,8}[=:]\s{0,8}${NOT_A_MARKER}(?:"[^"]*"|'[^']*'|(?:${anyCase('bearer')}\s{1,8})?[^\s,;&"']+)`,
  ],
  ['email', String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b`],
];

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function redactionMarker(kind: SecretKind): string {
  return `[REDACTED:${kind}]`;
}

/** True if `text` holds a marker left by a redaction, by key (`[REDACTED]`) or by value (`[REDACTED:kind]`). */
export function hasRedactionMarker(text: string): boolean {
  return text.includes('[REDACTED');
}

/** The match with only its secret part replaced, for kinds whose name or user and host are worth keeping. */
function replaceMatch(kind: SecretKind, match: string): string {
  const marker = redactionMarker(kind);
  switch (kind) {
    case 'card-number':
      return passesLuhn(match.replace(/[ -]/g, '')) ? marker : match;
    case 'assigned-secret':
      return `${/^[^=:]*[=:]\s*/.exec(match)![0]}${marker}`;
    case 'basic-auth':
      return `${/^[\s\S]*?[Bb][Aa][Ss][Ii][Cc]\s+/.exec(match)![0]}${marker}`;
    case 'aws-secret-key': // the name ends with `key`
      return `${/^[\s\S]*?[Kk][Ee][Yy]["']?\s*[=:]?\s*["']?/.exec(match)![0]}${marker}`;
    case 'connection-string': {
      const colon = match.indexOf(':', match.indexOf('://') + 3);
      return `${match.slice(0, colon + 1)}${marker}@`;
    }
    default:
      return marker;
  }
}

/** A replacer for the kinds given: `scan(text)` returns `text` itself when nothing matched. */
export function secretScanner(kinds: readonly SecretKind[]): (text: string) => string {
  const enabled = PATTERNS.filter(([kind]) => kinds.includes(kind));
  const names = enabled.map(([kind]) => kind);
  // Each pattern is one capturing group (its inner groups are non-capturing): the group that matched names the kind.
  const combined = new RegExp(enabled.map(([, source]) => `(${source})`).join('|'), 'g');
  const replace = (match: string, ...groups: unknown[]): string =>
    replaceMatch(names[groups.findIndex((group, index) => index < names.length && group !== undefined)]!, match);
  return (text) => (text.length < 8 ? text : text.replace(combined, replace));
}

/** Every kind but the opt-in ones (e-mail addresses). */
export const ALWAYS_SCANNED: readonly SecretKind[] = PATTERNS.map(([kind]) => kind).filter((kind) => kind !== 'email');
