// Mutation testing of the core modules: `npm run mutate` (all of them, slow), or one module with
// `MUTATE=verifier npm run mutate` (keys below). Not run in CI: see docs/mutation-testing.md.
//
// The test runner is `node --test`, which Stryker has no plugin for, so the command runner runs it: once per
// mutant, in a fresh process (the mutant is switched on by the __STRYKER_ACTIVE_MUTANT__ variable, which child
// processes the tests spawn inherit too). It cannot tell which tests cover which mutant, so each module is
// run against the few test files that exercise it, not the whole suite.
const modules = {
  chain: { mutate: 'src/audit/trail/hash-chain.ts', tests: ['test/audit/trail/hash-chain.test.js', 'test/cli/trail-verifier.test.js'] },
  verifier: { mutate: 'src/cli/trail-verifier.ts', tests: ['test/cli/trail-verifier.test.js', 'test/cli/trail-verifier-explanations.test.js'] },
  head: { mutate: 'src/audit/trail/trail-head.ts', tests: ['test/audit/trail/trail-head.test.js', 'test/audit/trail/fsync-durability.test.js', 'test/cli/trail-verifier.test.js'] },
  redactor: { mutate: 'src/audit/redaction/redactor.ts', tests: ['test/audit/redaction/redactor.test.js', 'test/audit/record/summarize.test.js'] },
  auditor: { mutate: 'src/mcp/handler-auditor.ts', tests: ['test/mcp/instrument-mcp-server.test.js', 'test/mcp/handler-auditor.test.js', 'test/mcp/redaction.test.js'] },
  // Where the trail ends and when the head is rewritten: the writer tests that repair, tear, fill the disk and idle.
  tracker: {
    mutate: 'src/audit/trail/trail-end-tracker.ts',
    tests: ['test/audit/trail/trail-committer.test.js', 'test/audit/trail/trail-committer-repairs.test.js', 'test/audit/trail/trail-committer-full-disk.test.js',
      'test/audit/trail/chained-trail-writer.test.js', 'test/audit/trail/head-updates.test.js', 'test/audit/trail/torn-write-recovery.test.js',
      'test/audit/trail/removed-log-directory.test.js', 'test/audit/trail/trail-lock-lease.test.js', 'test/audit/trail/fsync-durability.test.js',
      'test/audit/trail/hostile-log-directory.test.js', 'test/audit/trail/lost-lock-refresh.test.js'],
  },
  // The trail's own spans (no SDK): what the audit processor reads off them, and what a tool's code may do to them.
  span: { mutate: 'src/telemetry/trail-only-span.ts', tests: ['test/telemetry/trail-only-span.test.js', 'test/telemetry/trail-only-tracer.test.js'] },
  // The slower writer tests are in too: they alone kill the backlog's, retention's and the partial write's mutants.
  committer: {
    mutate: 'src/audit/trail/trail-committer.ts',
    tests: ['test/audit/trail/trail-committer.test.js', 'test/audit/trail/trail-committer-repairs.test.js', 'test/audit/trail/trail-committer-full-disk.test.js', 'test/audit/trail/chained-trail-writer.test.js', 'test/cli/trail-verifier.test.js',
      'test/audit/trail/unwritten-backlog.test.js', 'test/audit/trail/head-updates.test.js', 'test/audit/trail/retention-events.test.js', 'test/cli/signed-checkpoints.test.js', 'test/audit/trail/fsync-durability.test.js'],
  },
};
const chosen = process.env.MUTATE ? [modules[process.env.MUTATE]] : Object.values(modules);
if (chosen.includes(undefined)) throw new Error(`MUTATE must be one of ${Object.keys(modules).join(', ')}`);
const tests = [...new Set(chosen.flatMap((module) => module.tests))];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: chosen.map((module) => module.mutate),
  testRunner: 'command',
  // Built once per run in the sandbox, with every mutant compiled in (mutant schemata).
  buildCommand: 'npx tsc -p .',
  commandRunner: { command: `cd dist && node --test --test-concurrency=1 ${tests.join(' ')}` },
  coverageAnalysis: 'off',
  concurrency: 2,
  // Added to 1.5x the unmutated run's time: on a shared machine a slow run otherwise counts as a timeout, i.e. as killed.
  timeoutMS: 30_000,
  ignorePatterns: ['dist', 'logs', 'reports', 'bench/results*', '.stryker-tmp'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${process.env.MUTATE ?? 'all'}.json` },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: '.stryker-tmp',
};
