import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';

const usage = `Usage: mcp-audit keygen --out DIR

Writes a new Ed25519 key pair for signed checkpoints: DIR/audit-signing.key
(private, PKCS#8 PEM, mode 0600: give it to the writer as
AUDIT_SIGNING_KEY_FILE) and DIR/audit-signing.pub (public, SPKI PEM: give it
to whoever checks the trail). Refuses to overwrite an existing key.`;

export const keygenCommand: Command = {
  summary: 'make the Ed25519 key pair that signs checkpoints',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!values.out) throw new UsageError('--out DIR is required');
    const privatePath = join(values.out, 'audit-signing.key');
    const publicPath = join(values.out, 'audit-signing.pub');
    for (const path of [privatePath, publicPath]) if (existsSync(path)) throw new Error(`${path} exists: not overwritten (a lost signing key cannot be recovered)`);
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // 'wx': fails rather than replace a file created meanwhile.
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
    process.stdout.write(`private key: ${privatePath} (set AUDIT_SIGNING_KEY_FILE to it; keep it off the trail's readers)\npublic key:  ${publicPath} (for \`mcp-audit verify --public-key\`)\n`);
    return 0;
  },
};
