import { readFileSync } from 'node:fs';
import { ChainHasher } from '../../audit/trail/hash-chain.js';
import { CannotRunError, EXIT, UsageError } from '../command.js';
import { defineCommand, DIR_HELP, HELP_HELP } from '../command-line.js';
import { verifyTrail, type TrailProblem } from '../trail-verifier.js';
import { runVerifySigned, VERIFY_SIGNED_HELP } from './verify-signed.js';

const HELP = `Usage: mcp-audit verify [DIR] [--head FILE | --no-head] [--key-file FILE] [--json]
       mcp-audit verify [DIR] --public-key FILE [--checkpoints DIR]... [--head FILE | --no-head] [--key-file FILE] [--json]

Checks every trail file in DIR, gzipped ones included: each record's hash,
every seq/prev_hash link across files, the start anchor and the end of the
trail against the sealed head file. The HMAC key comes from $AUDIT_HMAC_KEY
or --key-file. --json prints the report as one JSON object (ok, records,
files, problems, notes) for scripts.

${VERIFY_SIGNED_HELP}

${DIR_HELP}
  --head FILE        the sealed head file (default: DIR/audit.head.json)
  --no-head          skip the end-of-trail check (and say so)
  --key-file FILE    a file holding the HMAC key (default: $AUDIT_HMAC_KEY)
  --public-key FILE  also check the signed checkpoints with this public key
  --checkpoints DIR  with --public-key: a mirror of the checkpoints (repeatable)
  --json             the report as one JSON object
${HELP_HELP}

Exit status: 0 intact, 1 problems found, 2 could not run (usage, no trail, a
key that cannot be read).
`;

function describe(problem: TrailProblem): string {
  const place = problem.file ? `${problem.file}${problem.line === null ? '' : `:${problem.line}`}` : '(trail)';
  return `  ${place}${problem.seq === null ? '' : ` seq ${problem.seq}`}: ${problem.kind}: ${problem.message}`;
}

async function runVerifyChain(
  dir: string,
  values: { head?: string | undefined; 'no-head'?: boolean | undefined; 'key-file'?: string | undefined; json?: boolean | undefined },
): Promise<number> {
  let report;
  try {
    const key = values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : process.env['AUDIT_HMAC_KEY'] || undefined;
    report = await verifyTrail(dir, { hasher: new ChainHasher(key), headPath: values['no-head'] ? null : (values.head ?? undefined) });
  } catch (error) {
    throw new CannotRunError((error as Error).message);
  }
  const ok = report.problems.length === 0;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok, ...report })}\n`);
    return ok ? EXIT.ok : EXIT.finding;
  }
  const lines: string[] = [];
  for (const file of report.files) {
    const problems = report.problems.filter((problem) => problem.file === file.name);
    const seqs = file.firstSeq === null ? '' : `, seq ${file.firstSeq}-${file.lastSeq}`;
    lines.push(`${problems.length === 0 ? 'VALID  ' : 'INVALID'} ${file.name} (${file.records} records${seqs})`);
    for (const line of problems.map(describe)) lines.push(line);
  }
  const trailWide = report.problems.filter((problem) => !report.files.some((file) => file.name === problem.file));
  for (const line of trailWide.map(describe)) lines.push(line);
  for (const line of report.notes.map((note) => `  note: ${note}`)) lines.push(line);
  lines.push(
    ok
      ? `OK: ${report.records} records in ${report.files.length} file(s), chain intact`
      : `FAILED: ${report.problems.length} problem(s) in ${report.records} records in ${report.files.length} file(s)`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? EXIT.ok : EXIT.finding;
}

export const verifyCommand = defineCommand({
  summary: 'check the trail was not edited, cut or reordered (exit 0 only if intact)',
  help: HELP,
  options: {
    head: { type: 'string' },
    'no-head': { type: 'boolean' },
    'key-file': { type: 'string' },
    'public-key': { type: 'string' },
    checkpoints: { type: 'string', multiple: true },
  },
  trail: true,
  // A head or checkpoints kept elsewhere vouch for records: an emptied directory is then a finding, not a wrong path.
  emptyTrailIsFine: (values) => values.head !== undefined || (values.checkpoints?.length ?? 0) > 0,
  json: true,
  async run({ values, trail }) {
    if (values.head !== undefined && values['no-head']) throw new UsageError('give --head FILE or --no-head, not both');
    if (values['public-key'] === undefined) {
      if (values.checkpoints) throw new UsageError('--checkpoints goes with --public-key');
      return runVerifyChain(trail(), values);
    }
    // With a public key, the signed checkpoints are checked as well as the chain, in one report (verify-signed.ts).
    return runVerifySigned(trail(), {
      publicKeyPath: values['public-key'],
      mirrors: values.checkpoints ?? [],
      head: values.head,
      noHead: values['no-head'],
      keyFile: values['key-file'],
      json: values.json === true,
    });
  },
});
