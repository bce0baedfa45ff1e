import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../support/cli.js';
import { makeTempDir } from '../support/trail-files.js';

/**
 * Every command answers --help on stdout, and turns bad usage into one plain sentence with its usage line on
 * stderr, exit 2, never parseArgs' own wording or a stack trace. Each runs against a directory that does not
 * exist: a usage error must be found before anything is read.
 */
const nowhere = `${makeTempDir('cli-usage')}/missing`;

/** Each command, and one of its options that takes a value. */
const COMMANDS: Array<[string, string]> = [
  ['stats', '--since'],
  ['failures', '--limit'],
  ['query', '--tool'],
  ['tail', '--lines'],
  ['export', '--format'],
  ['verify', '--key-file'],
  ['keygen', '--out'],
  ['prove', '--seq'],
  ['verify-proof', '--public-key'],
  ['proxy', '--service-name'],
];

function assertUsageError(args: string[], message: RegExp): void {
  const [name] = args;
  const result = runCli(args, { AUDIT_LOG_DIR: nowhere });
  const label = args.join(' ');
  assert.equal(result.status, 2, `${label}: ${result.stderr}`);
  assert.equal(result.stdout, '', label);
  const [first, usage, hint] = result.stderr.split('\n');
  assert.match(first!, new RegExp(`^mcp-audit ${name}: ${message.source}$`), label);
  assert.match(usage!, new RegExp(`^Usage: .*mcp-audit ${name}\\b`), label);
  assert.ok(result.stderr.includes(`Run \`mcp-audit ${name} --help\` for the options.`), label);
  assert.doesNotMatch(result.stderr + String(hint), /\n\s+at |ERR_PARSE_ARGS|Unknown option '/, label);
}

test('--help and -h print the usage on stdout and exit 0, whatever else is on the line', () => {
  for (const [name] of COMMANDS) {
    for (const args of [
      [name, '--help'],
      [name, '-h'],
      [name, '--bogus', '--help'],
    ]) {
      const result = runCli(args, { AUDIT_LOG_DIR: nowhere });
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: .*mcp-audit ${name}\\b`), args.join(' '));
      assert.equal(result.stderr, '', args.join(' '));
    }
  }
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /Exit status: 0 ok, 1 a finding/);
});

test('an unknown option is named, with the usage line, exit 2', () => {
  for (const [name] of COMMANDS) assertUsageError([name, '--bogus'], /unknown option --bogus/);
  assertUsageError(['query', '-x'], /unknown option -x/);
});

test('an option without its value says so, at the end of the line or followed by another option', () => {
  for (const [name, option] of COMMANDS) {
    assertUsageError([name, option], new RegExp(`${option} needs a value`));
    assertUsageError(
      [name, option, '--json'],
      new RegExp(`${option} needs a value, got the option "--json" \\(write ${option}=--json if that is the value\\)`),
    );
    assertUsageError([name, `${option}=`], new RegExp(`${option} needs a value`));
  }
  assertUsageError(['tail', '-n'], /-n needs a value/);
});

test('a value given to a flag, or an argument a command does not take, is a usage error', () => {
  assertUsageError(['stats', '--json=yes'], /--json takes no value/);
  assertUsageError(['query', 'logs', 'more'], /unexpected argument "more"/);
  assertUsageError(['keygen', 'keys'], /unexpected argument "keys"/);
  assertUsageError(['verify', '--head', 'h.json', '--no-head'], /give --head FILE or --no-head, not both/);
  assertUsageError(['verify', '--checkpoints', 'mirror'], /--checkpoints goes with --public-key/);
  assertUsageError(['export', '--json', '--format', 'csv'], /--json asks for JSON, --format for csv: give one/);
  assertUsageError(['proxy', '--dir', 'a', '--log-dir', 'b', '--', 'node'], /--dir and --log-dir are the same option: give one/);
});

test('no command, or an unknown one, is a usage error on stderr', () => {
  for (const args of [[], ['frobnicate']]) {
    const result = runCli(args);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^mcp-audit: (no command given|unknown command "frobnicate")\n\nUsage: mcp-audit <command>/);
  }
});
