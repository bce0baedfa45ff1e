import { keyId, rawPublicKey } from '../../audit/checkpoint/signed-note.js';
import { CannotRunError, EXIT } from '../command.js';
import { readPublicKey } from '../public-key.js';
import { verifyTree, type TreeProblem } from '../tree-verifier.js';

/** The paragraph of `verify --help` on this mode. */
export const VERIFY_SIGNED_HELP = `With --public-key, checks the trail against its signed checkpoints with the
public key alone (no shared secret): every checkpoint in DIR/checkpoints and
in each --checkpoints DIR (a mirror kept off the host) must be signed by the
key; the Merkle tree is rebuilt from the trail's lines and must give each
checkpoint's root; and the trail must not be shorter than any checkpoint.`;

function describe(problem: TreeProblem): string {
  return `  ${problem.file ?? '(trail)'}: ${problem.kind}: ${problem.message}`;
}

export async function runVerifySigned(dir: string, publicKeyPath: string, mirrors: string[], json: boolean): Promise<number> {
  let report;
  let key;
  try {
    key = readPublicKey(publicKeyPath);
    report = await verifyTree(dir, key, mirrors);
  } catch (error) {
    throw new CannotRunError((error as Error).message);
  }
  const ok = report.problems.length === 0;
  if (json) {
    const checkpoints = report.checkpoints.map(({ root, ...rest }) => ({ ...rest, root: root.toString('base64') }));
    process.stdout.write(`${JSON.stringify({ ok, ...report, checkpoints })}\n`);
    return ok ? EXIT.ok : EXIT.finding;
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
  return ok ? EXIT.ok : EXIT.finding;
}
