import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { isValidKeyName } from './signed-note.js';

/** How a writer signs checkpoints; from the environment by `signingConfigFromEnv`. */
export interface SigningConfig {
  /** AUDIT_SIGNING_KEY_FILE: an Ed25519 private key, PKCS#8 PEM (`mcp-audit keygen`). */
  privateKey: KeyObject;
  /** AUDIT_CHECKPOINT_ORIGIN: names this trail in every checkpoint and is the signature's key name. */
  origin: string;
  /** AUDIT_CHECKPOINT_EVERY: sign once this many lines are unsigned (default 1000). */
  every: number;
  /** AUDIT_CHECKPOINT_INTERVAL_MS: sign lines left unsigned this long (default 10000). */
  intervalMs: number;
  /** AUDIT_CHECKPOINT_MIRROR: a second directory that gets a copy of each checkpoint (storage off the host). */
  mirror: string | null;
}

/** `host/abs/log/dir`: stable for a trail, and a valid key name (spaces and pluses become `_`). */
export function defaultOrigin(directory: string): string {
  return `${hostname()}${resolve(directory)}`.replace(/[\s\u0085+]/gu, '_');
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, not "${raw}"`);
  return value;
}

export function loadSigningKey(path: string): KeyObject {
  const key = createPrivateKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

/** Null when AUDIT_SIGNING_KEY_FILE is unset; throws, naming the variable, on a bad value or an unreadable key. */
export function signingConfigFromEnv(directory: string, env: NodeJS.ProcessEnv): SigningConfig | null {
  const keyFile = env['AUDIT_SIGNING_KEY_FILE'];
  if (!keyFile) return null;
  let privateKey: KeyObject;
  try {
    privateKey = loadSigningKey(keyFile);
  } catch (error) {
    throw new Error(`AUDIT_SIGNING_KEY_FILE: ${(error as Error).message}`);
  }
  const origin = env['AUDIT_CHECKPOINT_ORIGIN'] || defaultOrigin(directory);
  if (!isValidKeyName(origin)) throw new Error(`AUDIT_CHECKPOINT_ORIGIN must be non-empty, without spaces or "+", not "${origin}"`);
  return {
    privateKey,
    origin,
    every: whole(env, 'AUDIT_CHECKPOINT_EVERY', 1000),
    intervalMs: whole(env, 'AUDIT_CHECKPOINT_INTERVAL_MS', 10_000),
    mirror: env['AUDIT_CHECKPOINT_MIRROR'] || null,
  };
}
