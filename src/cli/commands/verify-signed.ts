import { parseArgs } from 'node:util';
import { keyId, rawPublicKey } from '../../audit/checkpoint/signed-note.js';
import { readPublicKey } from '../public-key.js';
import { verifyTree, type TreeProblem } from '../tree-verifier.js';

export const verifySignedUsage = `Usage: mcp-audit verify [dir] --public-key FILE [--checkpoints DIR]... [--json]

Checks the trail against its signed checkpoints with the public key alone (no
shared secret): every checkpoint in dir/checkpoints and in each --checkpoints
DIR (a mirror kept off the host) must be signed by the key; the Merkle tree is
rebuilt from the trail's lines and must give each checkpoint's root; and the
trail must not be shorter than any checkpoint.
Exit status: 0 intact, 1 problems found, 2 could not run.`;

function describe(problem: TreeProblem): string {
  return `  ${problem.file ?? '(trail)'}: ${problem.kind}: ${problem.message}`;
}

export async function runVerifySigned(argv: string[]): Promise<number> {
  let values: { 'public-key'?: string; checkpoints?: string[]; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { 'public-key': { type: 'string' }, checkpoints: { type: 'string', multiple: true }, json: { type: 'boolean' } },
    }));
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n${verifySignedUsage}\n`);
    return 2;
  }
  const dir = positionals[0] ?? process.env['AUDIT_LOG_DIR'] ?? 'logs';
  let report;
  let key;
  try {
    key = readPublicKey(values['public-key']!);
    report = await verifyTree(dir, key, values.checkpoints ?? []);
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n`);
    return 2;
  }
  const ok = report.problems.length === 0;
  if (values.json) {
    const checkpoints = report.checkpoints.map(({ root, ...rest }) => ({ ...rest, root: root.toString('base64') }));
    process.stdout.write(`${JSON.stringify({ ok, ...report, checkpoints })}\n`);
    return ok ? 0 : 1;
  }
  const lines: string[] = [];
  for (const file of report.files) {
    const problems = report.problems.filter((problem) => problem.file === file.name);
    const leaves = file.lines === 0 ? '' : `, leaves ${file.firstLeaf}-${file.firstLeaf + file.lines - 1}`;
    lines.push(`${problems.length === 0 ? 'VALID  ' : 'INVALID'} ${file.name} (${file.lines} lines${leaves})`);
    lines.push(...problems.map(describe));
  }
  lines.push(...report.problems.filter((problem) => !report.files.some((file) => file.name === problem.file)).map(describe));
  lines.push(...report.notes.map((note) => `  note: ${note}`));
  const matched = report.checkpoints.filter((checkpoint) => checkpoint.matches).length;
  const signer = report.origin ? `${report.origin}+${keyId(report.origin, rawPublicKey(key)).toString('hex')}` : 'this key';
  lines.push(ok
    ? `OK: ${report.leaves} lines in ${report.files.length} file(s) give the roots of ${matched} checkpoint(s) signed by ${signer}`
    : `FAILED: ${report.problems.length} problem(s); ${report.leaves} lines in ${report.files.length} file(s), ${report.checkpoints.length} checkpoint(s) signed by ${signer}`);
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}
