import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

type Env = Record<string, string | undefined>;

/**
 * Bearer tokens, each mapped to the principal it names. Tokens are kept as
 * SHA-256 digests and every lookup compares against all of them in constant
 * time, so neither the token nor its position leaks through timing.
 */
export class BearerTokens {
  private readonly entries: Array<{ digest: Buffer; principal: string }>;

  private constructor(pairs: Array<[token: string, principal: string]>) {
    this.entries = pairs.map(([token, principal]) => ({ digest: digestOf(token), principal }));
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * `token=principal` pairs separated by commas or newlines; blank lines and
   * lines starting with # are ignored. Throws, naming the entry's position
   * (never the token), on a malformed or duplicate entry.
   */
  static parse(text: string, source: string): BearerTokens {
    const pairs: Array<[string, string]> = [];
    const seen = new Set<string>();
    const entries = text
      .split(/[\n,]/)
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '' && !entry.startsWith('#'));
    entries.forEach((entry, index) => {
      const separator = entry.lastIndexOf('=');
      const token = entry.slice(0, separator).trim();
      const principal = entry.slice(separator + 1).trim();
      if (separator <= 0 || token === '' || principal === '') {
        throw new Error(`${source}: entry ${index + 1} is not token=principal`);
      }
      if (seen.has(token)) throw new Error(`${source}: entry ${index + 1} repeats a token`);
      seen.add(token);
      pairs.push([token, principal]);
    });
    if (pairs.length === 0) throw new Error(`${source}: no tokens`);
    return new BearerTokens(pairs);
  }

  /** From MCP_AUTH_TOKENS or the file named by MCP_AUTH_TOKENS_FILE; null when neither is set (auth off). */
  static fromEnv(env: Env = process.env): BearerTokens | null {
    const inline = env['MCP_AUTH_TOKENS']?.trim();
    const file = env['MCP_AUTH_TOKENS_FILE']?.trim();
    if (inline && file) throw new Error('set MCP_AUTH_TOKENS or MCP_AUTH_TOKENS_FILE, not both');
    if (inline) return BearerTokens.parse(inline, 'MCP_AUTH_TOKENS');
    if (file) return BearerTokens.parse(readFileSync(file, 'utf8'), `MCP_AUTH_TOKENS_FILE ${file}`);
    return null;
  }

  /** The principal the token names, or null. */
  principalFor(token: string): string | null {
    const digest = digestOf(token);
    let found: string | null = null;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest) && found === null) found = entry.principal;
    }
    return found;
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
