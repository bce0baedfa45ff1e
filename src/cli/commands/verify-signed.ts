import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { keyId, rawPublicKey } from '../../audit/checkpoint/signed-note.js';
import { ChainHasher } from '../../audit/trail/hash-chain.js';
import { readPublicKey } from '../public-key.js';
import { verifyTrail, type TrailProblem, type VerifyReport } from '../trail-verifier.js';
import { verifyTree, type TreeProblem } from '../tree-verifier.js';

export const verifySignedUsage = `Usage: mcp-audit verify [dir] --public-key FILE [--checkpoints DIR]... [--head FILE | --no-head] [--key-file FILE] [--json]

Checks the trail against its signed checkpoints with the public key alone (no
shared secret): every checkpoint in dir/checkpoints and in each --checkpoints
DIR (a mirror kept off the host) must be signed by the key; the Merkle tree is
rebuilt from the trail's lines and must give each checkpoint's root; and the
trail must not be shorter than any checkpoint. The chain is checked too, as
plain verify does (--head, --no-head, --key-file as there); a keyed chain
without its key ($AUDIT_HMAC_KEY or --key-file) has its links checked but not
its hashes or head seal, which the signed tree stands in for. One report.
Exit status: 0 both intact, 1 problems found by either, 2 could not run.`;

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
    ...chain, problems: chain.problems.filter((problem) => problem.kind !== 'wrong-key'),
    notes: [...chain.notes, 'the chain is keyed and no key was given ($AUDIT_HMAC_KEY or --key-file): its links (seq, prev_hash, files) were checked, its record hashes and head seal were not; the signed tree covers every line'],
  };
}

export async function runVerifySigned(argv: string[]): Promise<number> {
  let values: { 'public-key'?: string; checkpoints?: string[]; head?: string; 'no-head'?: boolean; 'key-file'?: string; json?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        'public-key': { type: 'string' }, checkpoints: { type: 'string', multiple: true }, head: { type: 'string' }, 'no-head': { type: 'boolean' },
        'key-file': { type: 'string' }, json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n${verifySignedUsage}\n`);
    return 2;
  }
  const dir = positionals[0] ?? process.env['AUDIT_LOG_DIR'] ?? 'logs';
  let tree;
  let chain;
  let key;
  try {
    key = readPublicKey(values['public-key']!);
    const hmacKey = values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : process.env['AUDIT_HMAC_KEY'] || undefined;
    const hasher = new ChainHasher(hmacKey);
    [tree, chain] = await Promise.all([
      verifyTree(dir, key, values.checkpoints ?? []),
      verifyTrail(dir, { hasher, headPath: values['no-head'] ? null : (values.head ?? undefined) }),
    ]);
    if (!hmacKey) chain = withoutKeyedHashes(chain);
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n`);
    return 2;
  }
  const chainOk = chain.problems.length === 0;
  const ok = chainOk && tree.problems.length === 0;
  if (values.json) {
    const checkpoints = tree.checkpoints.map(({ root, ...rest }) => ({ ...rest, root: root.toString('base64') }));
    process.stdout.write(`${JSON.stringify({ ok, ...tree, checkpoints, chain: { ok: chainOk, ...chain } })}\n`);
    return ok ? 0 : 1;
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
    lines.push(...chainProblems.map(describeChain), ...treeProblems.map(describeTree));
  }
  lines.push(...chain.problems.filter((problem) => !names.includes(problem.file ?? '')).map(describeChain));
  lines.push(...tree.problems.filter((problem) => !names.includes(problem.file ?? '')).map(describeTree));
  lines.push(...[...chain.notes, ...tree.notes].map((note) => `  note: ${note}`));
  const matched = tree.checkpoints.filter((checkpoint) => checkpoint.matches).length;
  const signer = tree.origin ? `${tree.origin}+${keyId(tree.origin, rawPublicKey(key)).toString('hex')}` : 'this key';
  const counts = `${chain.records} records, ${tree.leaves} lines in ${tree.files.length} file(s), ${tree.checkpoints.length} checkpoint(s) signed by ${signer}`;
  lines.push(ok
    ? `OK: chain intact; ${tree.leaves} lines in ${tree.files.length} file(s) give the roots of ${matched} checkpoint(s) signed by ${signer}`
    : `FAILED: ${chain.problems.length} chain problem(s), ${tree.problems.length} tree problem(s); ${counts}`);
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}
