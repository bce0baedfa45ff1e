import * as nodeCrypto from 'node:crypto';

/**
 * The tamper-evident chain over the trail. Every record carries, as its last
 * three fields, `seq` (1, 2, 3, … across all files and writer processes),
 * `prev_hash` (the previous record's `hash`; 64 zeros before the first) and
 * `hash`, computed over the record's exact serialised bytes:
 *
 *   hash = H("mcp-audit/record/v1\n" + line-without-hash)
 *
 * where line-without-hash is the JSON line up to, not including, its
 * `,"hash":"…"` member, closed with `}` — the bytes on disk, so no JSON
 * re-serialisation can disagree with the writer. H is HMAC-SHA-256 keyed with
 * AUDIT_HMAC_KEY when set (nobody without the key can recompute the chain
 * after an edit), plain SHA-256 otherwise (detects accidents and careless
 * edits only). The domain prefixes keep record hashes, head seals and key ids
 * from ever being confused with each other.
 */
export const GENESIS_HASH = '0'.repeat(64);

const RECORD_DOMAIN = 'mcp-audit/record/v1\n';
const HEAD_DOMAIN = 'mcp-audit/head/v1\n';
const KEY_ID_DOMAIN = 'mcp-audit/key-id/v1';
const HASH_MEMBER = /,"hash":"([0-9a-f]{64})"\}$/;

export type ChainAlgorithm = 'hmac-sha256' | 'sha256';

/**
 * SHA-256 in one call, where Node has it (20.12 and later): no Hash object per record, about half what
 * createHash().update().update().digest() costs on a record. Read from the namespace, not imported by name,
 * so that older Node 20 releases load this module and take the createHash way.
 */
const sha256Hex: ((data: string | Buffer) => string) | null =
  typeof nodeCrypto.hash === 'function' ? (data) => nodeCrypto.hash('sha256', data, 'hex') : null;
const PREFIXED_MAX_BYTES = 64 * 1024;

/** The chain position a record continues from. */
export interface ChainLink {
  seq: number;
  hash: string;
}

export const GENESIS: ChainLink = { seq: 0, hash: GENESIS_HASH };

export class ChainHasher {
  readonly algorithm: ChainAlgorithm;
  /** Identifies the key without revealing it, so verify can say "wrong key" rather than "every record modified". */
  readonly keyId: string | null;
  /** The domain and a record's body side by side, for the one-call hash: reused, the writer being synchronous. */
  private prefixed = Buffer.allocUnsafe(0);

  constructor(private readonly key: string | undefined) {
    this.algorithm = key ? 'hmac-sha256' : 'sha256';
    this.keyId = key ? this.digest(KEY_ID_DOMAIN).slice(0, 16) : null;
  }

  /** Reads AUDIT_HMAC_KEY; an empty value counts as unset. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): ChainHasher {
    return new ChainHasher(env['AUDIT_HMAC_KEY'] || undefined);
  }

  /** Serialises `record` as the next link after `previous`: the line (with newline) and the new link. */
  chain(record: object, previous: ChainLink): { line: string; link: ChainLink } {
    const lines = new ChainedLines(256);
    const link = this.chainInto(record, previous, lines);
    return { line: lines.bytes(0).toString('utf8'), link };
  }

  /**
   * Appends `record`'s line, chained after `previous`, to `lines` and returns the new link. The line is
   * encoded once, straight into the buffer, and hashed there: no body string, line string or joined run.
   */
  chainInto(record: object, previous: ChainLink, lines: ChainedLines): ChainLink {
    const seq = previous.seq + 1;
    const start = lines.length;
    writeChainedBody(record, seq, previous.hash, lines);
    const hash = this.digest(RECORD_DOMAIN, lines.bytes(start));
    lines.truncate(lines.length - 1); // the body's closing `}`: the hash member goes before it
    lines.write(`,"hash":"${hash}"}\n`);
    return { seq, hash };
  }

  /** The hash the line's content should carry, and the one it does carry; null if the line has no hash member. */
  check(line: string): { stored: string; computed: string } | null {
    const match = HASH_MEMBER.exec(line);
    if (!match) return null;
    const computed = this.digest(RECORD_DOMAIN + line.slice(0, match.index) + '}');
    return { stored: match[1]!, computed };
  }

  /** Seal over the head file's fields, so it cannot be edited (keyed) or damaged (unkeyed) unnoticed. */
  seal(fields: string): string {
    return this.digest(HEAD_DOMAIN + fields);
  }

  /** H(domain + text); a record's body (a Buffer) is never turned into a string for it. */
  private digest(domain: string, text: string | Buffer = ''): string {
    if (!this.key && sha256Hex) {
      if (typeof text === 'string') return sha256Hex(domain + text);
      if (domain.length + text.length <= PREFIXED_MAX_BYTES) return sha256Hex(this.prefix(domain, text));
    }
    // HMAC, a Node without crypto.hash, or a body too large to keep a copy buffer for: fed in two updates.
    return (this.key ? nodeCrypto.createHmac('sha256', this.key) : nodeCrypto.createHash('sha256')).update(domain).update(text).digest('hex');
  }

  /** `domain` (ASCII: one byte per character) and `body` side by side, in the reused buffer. */
  private prefix(domain: string, body: Buffer): Buffer {
    const length = domain.length + body.length;
    if (this.prefixed.length < length) {
      this.prefixed = Buffer.allocUnsafe(Math.min(PREFIXED_MAX_BYTES, Math.max(length, 2 * this.prefixed.length, 4096)));
    }
    this.prefixed.write(domain, 0, 'latin1');
    body.copy(this.prefixed, domain.length);
    return this.prefixed.subarray(0, length);
  }
}

/**
 * Lines being chained, as UTF-8 in one growing Buffer that the committer reuses from run to run: a
 * run is written with one `write` of a view of it (the file layer writes synchronously, so the bytes
 * are never reused while still being written).
 */
export class ChainedLines {
  private buffer: Buffer;
  /** Bytes in use. */
  length = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Appends `text` as UTF-8. */
  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes; Buffer.write would silently cut a longer text.
    const room = this.length + text.length * 3;
    if (room > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(room, this.buffer.length * 2));
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
    }
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** Sets the byte at `offset`, which must be in use. */
  setByte(offset: number, value: number): void {
    this.buffer[offset] = value;
  }

  /** Forgets everything past `length` bytes. */
  truncate(length: number): void {
    this.length = length;
  }

  /** A view (not a copy) of the bytes from `start` to the end; valid until the next write. */
  bytes(start: number): Buffer {
    return this.buffer.subarray(start, this.length);
  }

  /**
   * Empties it, with `reserved` bytes left in front. The grown buffer is kept for the next burst (10,000 records
   * are about 6 MiB), but one grown past 8 MiB by a huge batch or record is let go.
   */
  reset(reserved: number): void {
    if (this.buffer.length > 8 * 1024 * 1024) this.buffer = Buffer.allocUnsafe(this.initialBytes);
    this.length = reserved;
  }
}

/**
 * Writes `JSON.stringify({ ...record, seq, prev_hash })` to `lines`, the same bytes, without copying the
 * record: its JSON with the two members appended. Anything that would make the two differ (the keys
 * already present, an empty or non-plain object) takes the copying way.
 */
function writeChainedBody(record: object, seq: number, prevHash: string, lines: ChainedLines): void {
  if (
    Object.getPrototypeOf(record) === Object.prototype &&
    !Object.hasOwn(record, 'seq') &&
    !Object.hasOwn(record, 'prev_hash') &&
    !Object.hasOwn(record, 'toJSON')
  ) {
    const json = JSON.stringify(record);
    if (json.length > 2) {
      lines.write(json);
      lines.truncate(lines.length - 1); // its closing `}`, one byte
      lines.write(`,"seq":${JSON.stringify(seq)},"prev_hash":${JSON.stringify(prevHash)}}`);
      return;
    }
  }
  lines.write(JSON.stringify({ ...record, seq, prev_hash: prevHash }));
}
