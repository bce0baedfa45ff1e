import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ChainHasher } from '../../audit/trail/hash-chain.js';
import type { Command } from '../command.js';
import { verifyTrail, type TrailProblem } from '../trail-verifier.js';
import { runVerifySigned, verifySignedUsage } from './verify-signed.js';

export const verifyUsage = `Usage: mcp-audit verify [dir] [--head FILE | --no-head] [--key-file FILE] [--json]

Checks every trail file in dir (default: $AUDIT_LOG_DIR or ./logs), gzipped
ones included: each record's hash, every seq/prev_hash link across files, the
start anchor and the end of the trail against the sealed head file.
The HMAC key comes from $AUDIT_HMAC_KEY or --key-file. --json prints the
report as one JSON object (ok, records, files, problems, notes) for scripts.
Exit status: 0 intact, 1 problems found, 2 could not run.`;

function describe(problem: TrailProblem): string {
  const place = problem.file ? `${problem.file}${problem.line === null ? '' : `:${problem.line}`}` : '(trail)';
  return `  ${place}${problem.seq === null ? '' : ` seq ${problem.seq}`}: ${problem.kind}: ${problem.message}`;
}

export async function runVerify(argv: string[]): Promise<number> {
  // With a public key, the signed checkpoints are checked as well as the chain, in one report (verify-signed.ts).
  if (argv.some((arg) => arg === '--public-key' || arg.startsWith('--public-key='))) return runVerifySigned(argv);
  let values: { head?: string; 'no-head'?: boolean; 'key-file'?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: { head: { type: 'string' }, 'no-head': { type: 'boolean' }, 'key-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n${verifyUsage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${verifyUsage}\n\n${verifySignedUsage}\n`);
    return 0;
  }
  const dir = positionals[0] ?? process.env['AUDIT_LOG_DIR'] ?? 'logs';
  let report;
  try {
    const key = values['key-file'] ? readFileSync(values['key-file'], 'utf8').trim() : process.env['AUDIT_HMAC_KEY'] || undefined;
    report = await verifyTrail(dir, { hasher: new ChainHasher(key), headPath: values['no-head'] ? null : (values.head ?? undefined) });
  } catch (error) {
    process.stderr.write(`mcp-audit verify: ${(error as Error).message}\n`);
    return 2;
  }
  const ok = report.problems.length === 0;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok, ...report })}\n`);
    return ok ? 0 : 1;
  }
  const lines: string[] = [];
  for (const file of report.files) {
    const problems = report.problems.filter((problem) => problem.file === file.name);
    const seqs = file.firstSeq === null ? '' : `, seq ${file.firstSeq}-${file.lastSeq}`;
    lines.push(`${problems.length === 0 ? 'VALID  ' : 'INVALID'} ${file.name} (${file.records} records${seqs})`);
    lines.push(...problems.map(describe));
  }
  const trailWide = report.problems.filter((problem) => !report.files.some((file) => file.name === problem.file));
  lines.push(...trailWide.map(describe));
  lines.push(...report.notes.map((note) => `  note: ${note}`));
  lines.push(ok
    ? `OK: ${report.records} records in ${report.files.length} file(s), chain intact`
    : `FAILED: ${report.problems.length} problem(s) in ${report.records} records in ${report.files.length} file(s)`);
  process.stdout.write(lines.join('\n') + '\n');
  return ok ? 0 : 1;
}

export const verifyCommand: Command = {
  summary: 'check the trail was not edited, cut or reordered (exit 0 only if intact)',
  run: runVerify,
};
