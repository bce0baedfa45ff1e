import { readFileSync } from 'node:fs';
import { keyId, rawPublicKey } from '../../audit/checkpoint/signed-note.js';
import { startChainCheck } from '../chain-check-thread.js';
import { CannotRunError, EXIT } from '../command.js';
import { readPublicKey } from '../public-key.js';
import type { TrailProblem, VerifyReport } from '../trail-verifier.js';
import type { TreeProblem } from '../tree-report.js';
import { verifyTree } from '../tree-verifier.js';

/** The paragraph of `verify --help` on this mode. */
export const VERIFY_SIGNED_HELP = `With --public-key, also checks the trail against its signed checkpoints with
the public key alone (no shared secret): every checkpoint in DIR/checkpoints
and in each --checkpoints DIR (a mirror kept off the host) must be signed by
the key; the Merkle tree is rebuilt from the trail's lines and must give each
checkpoint's root; and the trail must not be shorter than any checkpoint. The
chain is checked too, in the same report (--head, --no-head, --key-file as
without a public key); a keyed chain without its key ($AUDIT_HMAC_KEY or
--key-file) has its links checked but not its hashes or head seal, which the
signed tree stands in for.`;

export interface SignedVerifyOptions {
  publicKeyPath: string;
  mirrors: string[];
  head?: string | undefined;
  noHead?: boolean | undefined;
  keyFile?: string | undefined;
  json: boolean;
}

function describeChain(problem: TrailProblem): string {
  const place = problem.file ? `${problem.file}${problem.line === null ? '' : `:${problem.line}`}` : '(trail)';
  return `  chain: ${place}${problem.seq === null ? '' : ` seq ${problem.seq}`}: ${problem.kind}: ${problem.message}`;
}

function describeTree(problem: TreeProblem): string {
  return `  tree: ${problem.file ?? '(trail)'}: ${problem.kind}: ${problem.message}`;
}

/** Someone holding only the public key cannot recompute a keyed chain: that is the tree's job, not a finding. */
function withoutKeyedHashes(chain: VerifyReport): VerifyReport {
  if (!chain.problems.some((problem) => problem.kind === 'wrong-key')) return chain;
  return {
    ...chain,
    problems: chain.problems.filter((problem) => problem.kind !== 'wrong-key'),
    notes: [
      ...chain.notes,
      'the chain is keyed and no key was given ($AUDIT_HMAC_KEY or --key-file): its links (seq, prev_hash, files) were checked, its record hashes and head seal were not; the signed tree covers every line',
    ],
  };
}

export async function runVerifySigned(dir: string, options: SignedVerifyOptions): Promise<number> {
  let tree;
  let chain;
  let key;
  try {
    key = readPublicKey(options.publicKeyPath);
    const hmacKey = options.keyFile ? readFileSync(options.keyFile, 'utf8').trim() : process.env['AUDIT_HMAC_KEY'] || undefined;
    // Two CPU-bound walks over the same lines: the chain's on a worker thread, the tree's here, so together they
    // take about the time of the longer one rather than of both.
    const chainCheck = startChainCheck({ dir, hmacKey, headPath: options.noHead ? null : (options.head ?? undefined) });
    try {
      [tree, chain] = await Promise.all([verifyTree(dir, key, options.mirrors), chainCheck.report]);
    } finally {
      await chainCheck.stop();
    }
    if (!hmacKey) chain = withoutKeyedHashes(chain);
  } catch (error) {
    throw new CannotRunError((error as Error).message);
  }
  const chainOk = chain.problems.length === 0;
  const ok = chainOk && tree.problems.length === 0;
  if (options.json) {
    const checkpoints = tree.checkpoints.map(({ root, ...rest }) => ({ ...rest, root: root.toString('base64') }));
    process.stdout.write(`${JSON.stringify({ ok, ...tree, checkpoints, chain: { ok: chainOk, ...chain } })}\n`);
    return ok ? EXIT.ok : EXIT.finding;
  }
  const lines: string[] = [];
  const names = [...new Set([...chain.files.map((file) => file.name), ...tree.files.map((file) => file.name)])];
  for (const name of names) {
    const records = chain.files.find((file) => file.name === name);
    const leaves = tree.files.find((file) => file.name === name);
    const chainProblems = chain.problems.filter((problem) => problem.file === name);
    const treeProblems = tree.problems.filter((problem) => problem.file === name);
    const seqs = records?.firstSeq == null ? '' : `, seq ${records.firstSeq}-${records.lastSeq}`;
    const leafRange = !leaves || leaves.lines === 0 ? '' : `, leaves ${leaves.firstLeaf}-${leaves.firstLeaf + leaves.lines - 1}`;
    const status = chainProblems.length + treeProblems.length === 0 ? 'VALID  ' : 'INVALID';
    lines.push(`${status} ${name} (${records?.records ?? 0} records${seqs}; ${leaves?.lines ?? 0} lines${leafRange})`);
    for (const line of [...chainProblems.map(describeChain), ...treeProblems.map(describeTree)]) lines.push(line);
  }
  for (const line of chain.problems.filter((problem) => !names.includes(problem.file ?? '')).map(describeChain)) lines.push(line);
  for (const line of tree.problems.filter((problem) => !names.includes(problem.file ?? '')).map(describeTree)) lines.push(line);
  for (const line of [...chain.notes, ...tree.notes].map((note) => `  note: ${note}`)) lines.push(line);
  const matched = tree.checkpoints.filter((checkpoint) => checkpoint.matches).length;
  const signer = tree.origin ? `${tree.origin}+${keyId(tree.origin, rawPublicKey(key)).toString('hex')}` : 'this key';
  const counts = `${chain.records} records, ${tree.leaves} lines in ${tree.files.length} file(s), ${tree.checkpoints.length} checkpoint(s) signed by ${signer}`;
  lines.push(
    ok
      ? `OK: chain intact; ${tree.leaves} lines in ${tree.files.length} file(s) give the roots of ${matched} checkpoint(s) signed by ${signer}`
      : `FAILED: ${chain.problems.length} chain problem(s), ${tree.problems.length} tree problem(s); ${counts}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? EXIT.ok : EXIT.finding;
}
