import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../command.js';
import { defineCommand, HELP_HELP } from '../command-line.js';

const HELP = `Usage: mcp-audit keygen --out DIR

Writes a new Ed25519 key pair for signed checkpoints: DIR/audit-signing.key
(private, PKCS#8 PEM, mode 0600: give it to the writer as
AUDIT_SIGNING_KEY_FILE) and DIR/audit-signing.pub (public, SPKI PEM: give it
to whoever checks the trail). Refuses to overwrite an existing key.

  --out DIR          where to write the two files (made if missing)
${HELP_HELP}

Exit status: 0 written, 1 a key is already there (nothing written), 2 could
not run.
`;

export const keygenCommand = defineCommand({
  summary: 'make the Ed25519 key pair that signs checkpoints',
  help: HELP,
  options: { out: { type: 'string' } },
  async run({ values }) {
    if (!values.out) throw new UsageError('--out DIR is required');
    const privatePath = join(values.out, 'audit-signing.key');
    const publicPath = join(values.out, 'audit-signing.pub');
    for (const path of [privatePath, publicPath])
      if (existsSync(path)) throw new Error(`${path} exists: not overwritten (a lost signing key cannot be recovered)`);
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    // 'wx': fails rather than replace a file created meanwhile.
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
    process.stdout.write(
      `private key: ${privatePath} (set AUDIT_SIGNING_KEY_FILE to it; keep it off the trail's readers)\npublic key:  ${publicPath} (for \`mcp-audit verify --public-key\`)\n`,
    );
    return 0;
  },
});
