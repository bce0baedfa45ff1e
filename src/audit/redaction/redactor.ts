import { ALWAYS_SCANNED, secretScanner } from './secret-patterns.js';

export interface RedactionConfig {
  /**
   * Key names whose values are always replaced, matched as substrings of the
   * key with case and separators removed (`apiKey` catches `X-API-Key`).
   * Replaces the default list; spread DEFAULT_SENSITIVE_KEYS to extend it.
   * AUDIT_SENSITIVE_KEYS (comma-separated) adds to whichever list applies.
   */
  sensitiveKeys?: readonly string[];
  /** Short key names matched exactly, not as substrings (`pin` must not catch `spinner`). */
  sensitiveKeysExact?: readonly string[];
  /** Also redact e-mail addresses inside values. Default false; AUDIT_REDACT_EMAILS=true. */
  emails?: boolean;
}

export const DEFAULT_SENSITIVE_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'credential',
  'privatekey',
  'cookie',
  'sessionkey',
  'accesskey',
  'signature',
];
export const DEFAULT_SENSITIVE_KEYS_EXACT: readonly string[] = ['pwd', 'pass', 'auth', 'pin', 'otp', 'cvv', 'ssn'];

const MAX_CACHED_KEY_VERDICTS = 1024;
const MAX_CACHED_KEY_LENGTH = 64;

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Decides what never reaches the trail: values under sensitive keys, and secrets recognised by their shape. */
export class Redactor {
  private readonly keyParts: string[];
  private readonly exactKeys: Set<string>;
  private readonly scan: (text: string) => string;
  /** The same few field names come with every call; normalising and matching one costs ~0.4 µs. */
  private readonly keyVerdicts = new Map<string, boolean>();

  constructor(config: RedactionConfig = {}) {
    this.keyParts = [...(config.sensitiveKeys ?? DEFAULT_SENSITIVE_KEYS), ...envList('AUDIT_SENSITIVE_KEYS')].map(normaliseKey);
    this.exactKeys = new Set((config.sensitiveKeysExact ?? DEFAULT_SENSITIVE_KEYS_EXACT).map(normaliseKey));
    const emails = config.emails ?? process.env['AUDIT_REDACT_EMAILS'] === 'true';
    this.scan = secretScanner(emails ? [...ALWAYS_SCANNED, 'email'] : ALWAYS_SCANNED);
  }

  isSensitiveKey(key: string): boolean {
    let verdict = this.keyVerdicts.get(key);
    if (verdict === undefined) {
      const normalised = normaliseKey(key);
      verdict = this.exactKeys.has(normalised) || this.keyParts.some((part) => part !== '' && normalised.includes(part));
      // Clients choose the keys of nested arguments: the cache is bounded in count and in key length.
      if (key.length > MAX_CACHED_KEY_LENGTH) return verdict;
      if (this.keyVerdicts.size >= MAX_CACHED_KEY_VERDICTS) this.keyVerdicts.clear();
      this.keyVerdicts.set(key, verdict);
    }
    return verdict;
  }

  /** `text` with every recognised secret replaced by a `[REDACTED:kind]` marker; the same string if none. */
  redactText(text: string): string {
    return this.scan(text);
  }
}

let defaultRedactor: Redactor | undefined;

/** The redactor built from the defaults and the environment, made once. */
export function getDefaultRedactor(): Redactor {
  return (defaultRedactor ??= new Redactor());
}
