import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed-note (c2sp.org/signed-note) with Ed25519, as golang.org/x/mod/sumdb/note implements it: the text
 * (ending in a newline), a blank line, then lines `— <key name> base64(key ID (4 bytes, big-endian) || signature)`.
 * The key ID is SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]; the signature is Ed25519 over the text.
 */
const SIGNATURE_PREFIX = '\u2014 ';
const ED25519 = 0x01;
/** As Go's note.Open: a bound on the work a note with many signatures can cause. */
const MAX_SIGNATURES = 100;

/** Non-empty, no Unicode space and no plus (Go's unicode.IsSpace covers U+0085 too). */
export function isValidKeyName(name: string): boolean {
  return name !== '' && !/[\s\u0085+]/u.test(name);
}

/** The raw 32-byte Ed25519 public key of a KeyObject (public or private). */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function keyId(name: string, publicKey: Buffer): Buffer {
  return createHash('sha256').update(name).update('\n').update(Buffer.of(ED25519)).update(publicKey).digest().subarray(0, 4);
}

/** The verifier key string (`name+hex(key ID)+base64(0x01 || public key)`) other note tools take. */
export function verifierKey(name: string, publicKey: Buffer): string {
  return `${name}+${keyId(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.of(ED25519), publicKey]).toString('base64')}`;
}

/** Signs `text` (which must end in a newline) as `name` with an Ed25519 private key: the whole signed note. */
export function signNote(text: string, name: string, privateKey: KeyObject): string {
  if (!text.endsWith('\n')) throw new Error('a note text ends with a newline');
  if (!isValidKeyName(name)) throw new Error(`invalid key name "${name}": it must be non-empty, without spaces or "+"`);
  const signature = sign(null, Buffer.from(text), privateKey);
  const encoded = Buffer.concat([keyId(name, rawPublicKey(privateKey)), signature]).toString('base64');
  return `${text}\n${SIGNATURE_PREFIX}${name} ${encoded}\n`;
}

export type OpenedNote = { ok: true; text: string; keyName: string } | { ok: false; reason: string };

/**
 * Parses a signed note and checks the signatures made with `publicKey`, under whatever key name the line gives
 * (the name is bound by the key ID; the caller checks it is the one expected). Signatures by other keys are
 * ignored, as the spec requires; one by this key that fails makes the whole note fail.
 */
export function openNote(note: Buffer | string, publicKey: KeyObject): OpenedNote {
  let message: string;
  try {
    message = typeof note === 'string' ? note : new TextDecoder('utf-8', { fatal: true }).decode(note);
  } catch {
    return { ok: false, reason: 'malformed note: not valid UTF-8' };
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(message)) return { ok: false, reason: 'malformed note: a control character other than newline' };
  const split = message.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed note: no blank line before the signatures' };
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) return { ok: false, reason: 'malformed note: the signature block does not end in a newline' };
  const raw = rawPublicKey(publicKey);
  const others: string[] = [];
  let keyName: string | null = null;
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return { ok: false, reason: `malformed note: more than ${MAX_SIGNATURES} signatures` };
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return { ok: false, reason: 'malformed note: a signature line does not start with "— "' };
    const [name = '', encoded = '', ...rest] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    const bytes = Buffer.from(encoded, 'base64');
    if (rest.length > 0 || !isValidKeyName(name) || bytes.length < 5 || bytes.toString('base64') !== encoded) {
      return { ok: false, reason: 'malformed note: a signature line is not "— <key name> <base64>"' };
    }
    const id = bytes.subarray(0, 4);
    if (!id.equals(keyId(name, raw))) {
      others.push(`${name}+${id.toString('hex')}`);
      continue;
    }
    if (!verify(null, Buffer.from(text), publicKey, bytes.subarray(4)))
      return { ok: false, reason: `invalid signature by ${name}+${id.toString('hex')}` };
    keyName ??= name;
  }
  if (keyName === null) {
    return { ok: false, reason: `not signed by this public key (signed by ${others.join(', ')})` };
  }
  return { ok: true, text, keyName };
}
