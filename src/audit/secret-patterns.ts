/**
 * Secrets recognised by their value, wherever they appear inside a string:
 * the gitleaks rules for the common credential formats, card numbers that
 * pass the Luhn check, `password=...` style assignments in free text, and
 * (opt-in) e-mail addresses. One combined regular expression, so a string is
 * scanned once whatever the number of kinds.
 */
export type SecretKind =
  | 'private-key'
  | 'jwt'
  | 'bearer-token'
  | 'aws-access-key'
  | 'github-token'
  | 'slack-token'
  | 'stripe-key'
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

const PATTERNS: ReadonlyArray<readonly [SecretKind, string]> = [
  // An unterminated block (cut short, or the END line elsewhere) is redacted to the end of the string.
  ['private-key', String.raw`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)`],
  ['bearer-token', String.raw`\b${anyCase('bearer')}\s+[A-Za-z0-9\-._~+/]{8,}=*`],
  // The signature is optional so that a token cut short (or unsigned) still matches.
  ['jwt', String.raw`\bey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]*)?`],
  ['aws-access-key', String.raw`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`],
  ['github-token', String.raw`\b(?:gh[pousr]_[0-9A-Za-z]{36}|github_pat_[0-9A-Za-z_]{82})\b`],
  ['slack-token', String.raw`\bxox[abposr]-[0-9A-Za-z-]{10,}`],
  ['stripe-key', String.raw`\b(?:sk|rk)_(?:test|live|prod)_[0-9A-Za-z]{10,99}\b`],
  // 13–19 digits, optionally grouped by spaces or dashes; issuers start with 2–6.
  ['card-number', String.raw`\b[2-6]\d(?:[ -]?\d){11,17}\b`],
  ['assigned-secret', String.raw`\b(?:${ASSIGNED_KEYS})\s*[=:]\s*(?:"[^"]*"|'[^']*'|[^\s,;&"']+)`],
  ['email', String.raw`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b`],
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

/** A replacer for the kinds given: `scan(text)` returns `text` itself when nothing matched. */
export function secretScanner(kinds: readonly SecretKind[]): (text: string) => string {
  const enabled = PATTERNS.filter(([kind]) => kinds.includes(kind));
  const names = enabled.map(([kind]) => kind);
  const combined = new RegExp(enabled.map(([, source]) => `(${source})`).join('|'), 'g');
  const replace = (match: string, ...groups: unknown[]): string => {
    const kind = names[groups.findIndex((group, index) => index < names.length && group !== undefined)]!;
    if (kind === 'card-number') return passesLuhn(match.replace(/[ -]/g, '')) ? redactionMarker(kind) : match;
    if (kind === 'assigned-secret') return `${/^[^=:]*[=:]\s*/.exec(match)![0]}${redactionMarker(kind)}`;
    return redactionMarker(kind);
  };
  return (text) => (text.length < 8 ? text : text.replace(combined, replace));
}
