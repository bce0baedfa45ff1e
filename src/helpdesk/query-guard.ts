/**
 * Queries are only fuzzy-matched, never used as paths, but they are echoed into
 * logs and may one day reach file-backed lookups. Something shaped like a path,
 * or carrying control characters, is never a genuine search, so it is refused
 * up front instead of being trusted to stay harmless.
 *
 * A query is judged by what any layer below might turn it into, not by how it
 * is spelt: percent-escapes are decoded (UTF-8, `%uXXXX`, any number of
 * rounds), then characters that NFKC or a path normaliser reads as `.`, `/` or
 * `\` become those, and characters they ignore (zero-width, format, combining
 * marks) are dropped. Only that skeleton is checked; the query itself is
 * served as typed.
 */

/** C0 controls (NUL, tab, CR, LF…), DEL, C1 controls, line/paragraph separators, bidi overrides and isolates. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Look-alikes NFKC leaves alone (it does map fullwidth forms, U+2024 `․`, U+FE52 `﹒` and U+FE68 `﹨`). */
const LOOKALIKES: Record<string, string> = {
  '\u2044': '/',
  '\u2215': '/',
  '\u29f8': '/',
  '\u2571': '/',
  '\u27cb': '/', // fraction, division, big solidus, box diagonal, rising diagonal
  '\u2216': '\\',
  '\u29f5': '\\',
  '\u29f9': '\\',
  '\u2572': '\\',
  '\u27cd': '\\', // set minus, reverse solidus operator, big reverse solidus, …
  '\u3002': '.',
  '\uff61': '.',
  '\ufe12': '.',
  '\u2219': '.',
  '\u22c5': '.',
  '\u00b7': '.', // ideographic full stops (IDNA reads them as dots), dot operators
};
const LOOKALIKE = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'g');

/** Dropped by normalisers or invisible: format characters (zero-width, BOM, soft hyphen), variation selectors, combining marks. */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: the combining marks are listed one by one on purpose, each to be dropped alone.
const IGNORED = /[\p{Cf}\p{Mn}\p{Me}\u034f\u115f\u1160\u3164\uffa0]/gu;

/** Rounds of decoding allowed: a query encoded more often than this is no product search. */
const MAX_ROUNDS = 8;

function percentDecode(text: string): string {
  const unicode = text.replace(/%u([0-9a-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  // Runs of %XX as UTF-8: `%EF%BC%8E` is a fullwidth dot. Invalid or overlong bytes (`%c0%ae`) become U+FFFD.
  return unicode.replace(/(?:%[0-9a-f]{2})+/gi, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

function replacements(text: string): number {
  return text.split('\ufffd').length - 1;
}

function fold(text: string): string {
  return text
    .replace(IGNORED, '')
    .replace(LOOKALIKE, (char) => LOOKALIKES[char]!)
    .normalize('NFKC');
}

/**
 * What the query could become below: decoded and folded until nothing
 * changes. Null if that takes too many rounds, or meets a bad escape or a
 * control character on the way.
 */
export function querySkeleton(query: string): string | null {
  let current = query;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const decoded = percentDecode(current);
    // Checked before folding, which would drop an encoded bidi override or zero-width control unseen.
    if (replacements(decoded) > replacements(current) || CONTROL.test(decoded)) return null;
    const next = fold(decoded);
    if (next === current) return next;
    current = next;
  }
  return null;
}

/** `..`, or only dots and blanks with at least two dots (`....`, `.. `, `. .`), or such a segment with a `;param` (`..;`). */
function isParentLike(segment: string): boolean {
  const bare = segment.split(';', 1)[0]!.replace(/\s/g, '');
  return /^\.{2,}$/.test(bare);
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]{1,30}:\/\//i;
/** Schemes that name a file or a share even without `//` (`file:etc/passwd`, `smb:server`); a space after the colon is prose. */
const FILE_SCHEME = /^(?:file|smb|cifs|nfs|ftp|sftp|jar|zip|phar|data|gopher|dict|ldap|netdoc|expect|php|glob|ssh2|rar|ogg|vfs|unc):(?!\s)/i;
/** Absolute, root-relative, drive-letter or UNC path, `~/`, `~user` alone or followed by a separator. */
const ROOTED = /^(?:[\\/]|[a-z]:[\\/]|~[\\/]|~$|~[a-z_][\w.-]*(?:[\\/]|$))/i;

function isPathLike(skeleton: string): boolean {
  const trimmed = skeleton.trimStart();
  if (ROOTED.test(trimmed) || URL_SCHEME.test(trimmed) || FILE_SCHEME.test(trimmed)) return true;
  // A dotted word (`wait...`) is prose; a segment of nothing but dots is a parent.
  return trimmed.split(/[\\/]/).some(isParentLike);
}

export function assertSafeQuery(query: string): void {
  const skeleton = querySkeleton(query);
  if (skeleton === null || isPathLike(skeleton)) throw new Error('Invalid query');
}
