import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ChainedTrailWriter } from '../../src/audit/trail/chained-trail-writer.js';
import { ChainHasher } from '../../src/audit/trail/hash-chain.js';
import { auditRecord } from '../support/chained-trail.js';
import { CLI_PATH, runCli, spawn, type CliRun } from '../support/cli.js';
import { makeTempDir } from '../support/trail-files.js';
import { PYTHON_SERVER, trailNow, WireProxy } from '../support/wire-proxy.js';

/**
 * Where every command that reads a trail finds it: DIR, else --dir, else $AUDIT_LOG_DIR, else ./logs. Four
 * real chained trails of 1, 2, 3 and 4 failed calls: how many records a command reports says which it read.
 */
const KEY = 'trail-directory-key';
const root = makeTempDir('cli-trail-directory');
const trails = { positional: join(root, 'positional'), option: join(root, 'option'), env: join(root, 'env'), default: join(root, 'cwd', 'logs') };
const cwd = join(root, 'cwd');
const empty = join(root, 'empty');
const missing = join(root, 'missing');

/** Each reading command, with a run that prints how many records it read. */
const COUNTERS: Record<string, { args: string[]; count: (run: CliRun) => number }> = {
  query: { args: ['query', '--json'], count: (run) => jsonLines(run).length },
  failures: { args: ['failures', '--json'], count: (run) => jsonLines(run).length },
  tail: { args: ['tail', '-n', '100', '--json'], count: (run) => jsonLines(run).length },
  stats: { args: ['stats', '--json'], count: (run) => (JSON.parse(run.stdout) as { total: { calls: number } }).total.calls },
  export: { args: ['export', '--json'], count: (run) => (JSON.parse(run.stdout) as unknown[]).length },
  verify: { args: ['verify', '--json'], count: (run) => (JSON.parse(run.stdout) as { records: number }).records },
};

function jsonLines(run: CliRun): unknown[] {
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

before(async () => {
  for (const [index, dir] of Object.values(trails).entries()) {
    const writer = new ChainedTrailWriter({ directory: dir, hasher: new ChainHasher(KEY) });
    for (let n = 1; n <= index + 1; n++) await writer.append(auditRecord(n, `2026-01-15T10:00:0${n}.000Z`, { success: false, error: 'failed' }));
    writer.close();
  }
  mkdirSync(empty);
  writeFileSync(join(empty, 'notes.txt'), 'not a trail');
});

/** Runs a command from `cwd` with AUDIT_LOG_DIR as given (unset when undefined). */
function run(args: string[], env: string | undefined): CliRun {
  return runCli(args, { AUDIT_LOG_DIR: env, AUDIT_HMAC_KEY: KEY }, cwd);
}

test('every reading command takes DIR before --dir, --dir before $AUDIT_LOG_DIR, and that before ./logs', () => {
  for (const [name, { args, count }] of Object.entries(COUNTERS)) {
    const cases: Array<[string, string[], string | undefined, number]> = [
      ['DIR', [trails.positional], trails.env, 1],
      ['--dir', ['--dir', trails.option], trails.env, 2],
      ['AUDIT_LOG_DIR', [], trails.env, 3],
      ['./logs', [], undefined, 4],
      ['./logs, AUDIT_LOG_DIR empty', [], '', 4],
    ];
    for (const [source, where, env, expected] of cases) {
      const result = run([...args, ...where], env);
      assert.equal(result.status, 0, `${name} from ${source}: ${result.stderr}`);
      assert.equal(count(result), expected, `${name} from ${source}`);
    }
  }
});

test('DIR and --dir together is a usage error', () => {
  for (const [name, { args }] of Object.entries(COUNTERS)) {
    const result = run([...args, trails.positional, '--dir', trails.option], undefined);
    assert.equal(result.status, 2, name);
    assert.match(result.stderr, /given twice \(as DIR and as --dir\)/, name);
  }
});

const TRAIL_COMMANDS: Array<[string, string[]]> = [
  ...Object.entries(COUNTERS).map(([name, { args }]): [string, string[]] => [name, args]),
  ['verify --public-key', ['verify', '--public-key', join(root, 'any.pub')]],
  ['prove', ['prove', '--seq', '1']],
  ['tail -f', ['tail', '-f']],
];

test('a missing directory says where it looked and how to look elsewhere, exit 2, in every command', () => {
  for (const [name, args] of TRAIL_COMMANDS) {
    for (const [where, env, source] of [
      [[missing], undefined, 'given as DIR'],
      [[], missing, 'from \\$AUDIT_LOG_DIR'],
    ] as const) {
      const result = run([...args, ...where], env);
      assert.equal(result.status, 2, `${name}: ${result.stderr}`);
      assert.equal(result.stdout, '', name);
      assert.match(
        result.stderr,
        new RegExp(
          `trail directory ${missing} \\(${source}\\): no such directory; give the trail directory as DIR or --dir DIR, or set AUDIT_LOG_DIR\\n$`,
        ),
        name,
      );
    }
  }
  const fallback = runCli(['query'], { AUDIT_LOG_DIR: undefined }, root);
  assert.equal(fallback.status, 2);
  assert.match(
    fallback.stderr,
    /trail directory .*\/logs \(the default \.\/logs, as neither DIR, --dir nor \$AUDIT_LOG_DIR is set\): no such directory/,
  );
});

test('a directory with no trail in it says so, exit 2, in every command; tail -f alone waits there for the first file', () => {
  for (const [name, args] of TRAIL_COMMANDS.filter(([name]) => name !== 'tail -f')) {
    const result = run([...args, '--dir', empty], undefined);
    assert.equal(result.status, 2, `${name}: ${result.stderr}`);
    assert.equal(result.stdout, '', name);
    assert.match(
      result.stderr,
      new RegExp(
        `trail directory ${empty} \\(given as --dir\\) holds no audit trail \\(no audit_\\*\\.jsonl file\\); give the trail directory as DIR or --dir DIR, or set AUDIT_LOG_DIR\\n$`,
      ),
      name,
    );
  }
});

test('tail -f on a directory with no trail yet waits, then prints the first record written there', async (t) => {
  const waiting = join(root, 'not-yet');
  mkdirSync(waiting);
  const child = spawn(process.execPath, [CLI_PATH, 'tail', '-f', '--json', '--interval', '50', waiting], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  let output = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const waitFor = async (text: string, stream: () => string) => {
    for (let i = 0; i < 300 && !stream().includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(stream().includes(text), `no ${text} in: ${stream()} / ${errors}`);
  };
  await waitFor('(no trail file yet)', () => errors);
  writeFileSync(
    join(waiting, 'audit_2026-01-15.jsonl'),
    JSON.stringify(auditRecord(1, '2026-01-15T10:00:00.000Z', { tool_name: 'first_one' })) + '\n',
  );
  await waitFor('"first_one"', () => output);
});

test('verify with a head or checkpoints kept elsewhere runs on an emptied directory, and finds the records gone', () => {
  const result = run(['verify', empty, '--head', join(trails.env, 'audit.head.json')], undefined);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /FAILED/);
});

test('proxy writes the trail to --dir (or its old name --log-dir) over $AUDIT_LOG_DIR, making the directory', async () => {
  for (const option of ['--dir', '--log-dir']) {
    const envDir = join(root, `proxy-env${option}`);
    const chosen = join(root, `proxy-chosen${option}`, 'logs');
    const proxy = new WireProxy(envDir, PYTHON_SERVER, {}, [option, chosen]);
    await proxy.handshake();
    assert.equal(await proxy.close(), 0, proxy.stderr);
    assert.ok(
      trailNow(chosen).some((record) => record.action === 'session_start'),
      option,
    );
    assert.deepEqual(trailNow(envDir), [], option);
  }
});
