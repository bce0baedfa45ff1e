/**
 * Queries are only fuzzy-matched, never used as paths, but they are echoed into
 * logs and may one day reach file-backed lookups. Something shaped like a path,
 * or carrying control characters, is never a genuine search, so it is refused
 * up front instead of being trusted to stay harmless. Percent-escapes are
 * decoded until nothing changes, so `%2e%2e%2f` and double-encoded
 * `%252e%252e` are judged by what they decode to.
 */
const FORBIDDEN = [
  /[\u0000-\u001f\u007f-\u009f]/, // C0 controls (NUL, tab, CR, LF...), DEL, C1 controls
  /(^|[\\/])\.\.([\\/]|$)/, // `..` as a path segment
  /^\s*(\/|~[\\/]|[a-z]:[\\/]|\\\\)/i, // absolute, home-relative, drive-letter or UNC path
];

export function assertSafeQuery(query: string): void {
  let decoded = query;
  let previous: string;
  do {
    previous = decoded;
    decoded = decoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  } while (decoded !== previous);
  if (FORBIDDEN.some((pattern) => pattern.test(decoded))) throw new Error('Invalid query');
}
