import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ChainHasher, GENESIS } from '../../src/audit/trail/hash-chain.js';

/**
 * What a user does: `npm pack` here, then in a fresh empty project
 * `npm init -y && npm install ./mcp-audit-trail-x.y.z.tgz`, import the
 * package from an ES module, type-check that import, and run the CLI with
 * npx. Every npm command runs with --offline: the tarball's dependencies
 * come from the local cache that `npm ci` filled, and a missing one fails
 * the test (ENOTCACHED) instead of quietly fetching it. `npm ci` caches
 * tarballs but not the registry's version lists, so offline npm cannot pick
 * versions for ranges by itself: the empty project is given a lockfile that
 * pins the tarball's dependency tree to this repository's locked versions
 * (the ones the suite tests), as a user's own lockfile would.
 */
const run = promisify(execFile);
// dist/test/package/ -> the repository root (where package.json is).
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'installable-package-'));
const app = join(work, 'app');
after(() => rmSync(work, { recursive: true, force: true }));

// The npm_* variables of the `npm test` that runs us would point the inner
// npm at this repository; the consumer must see only its own project.
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') || key === 'npm_config_cache'),
);
const OFFLINE = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The node_modules path `name` resolves to from `from`, Node's way: nearest first. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf('/node_modules/')))) {
    const path = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[path]) return path;
    if (base === '') return undefined;
  }
}

/** A lockfile for a project depending on the tarball alone, from this repository's lockfile. */
function consumerLock(tarball: string, manifest: LockEntry, integrity: string): object {
  const ours = (JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const packages: Record<string, LockEntry> = {};
  const visit = (from: string, deps: Record<string, string> | undefined): void => {
    for (const name of Object.keys(deps ?? {})) {
      const path = resolveIn(ours, from, name);
      if (!path || packages[path]) continue;
      const { dev: _dev, devOptional: _devOptional, ...entry } = ours[path]!;
      packages[path] = entry;
      visit(path, entry.dependencies);
      visit(path, entry.optionalDependencies);
      visit(path, entry.peerDependencies);
    }
  };
  visit('', { ...manifest.dependencies, ...manifest.peerDependencies });
  for (const name of Object.keys(manifest.peerDependencies ?? {})) packages[`node_modules/${name}`]!.peer = true;
  const { dependencies, peerDependencies, version, bin, engines, license } = manifest;
  return {
    name: 'app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'app', version: '1.0.0', license: 'ISC', dependencies: { 'mcp-audit-trail': `file:../${tarball}` } },
      'node_modules/mcp-audit-trail': { version, resolved: `file:../${tarball}`, integrity, license, dependencies, peerDependencies, bin, engines },
      ...packages,
    },
  };
}

async function npm(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('the packed tarball installs offline into an empty project, imports, type-checks and runs its CLI', { timeout: 180_000 }, async () => {
  const [packed] = JSON.parse(await npm(ROOT, 'pack', '--json', '--pack-destination', work, ...OFFLINE)) as {
    filename: string;
    integrity: string;
    files: { path: string }[];
  }[];

  // Only the build of src/, the README, the licence and package.json.
  const outside = packed.files
    .map((file) => file.path)
    .filter((path) => !path.startsWith('dist/src/') && !['README.md', 'LICENSE', 'package.json'].includes(path));
  assert.deepEqual(outside, []);
  assert.ok(
    packed.files.some((file) => file.path === 'dist/src/index.d.ts'),
    'declarations are shipped',
  );

  await run('mkdir', [app]);
  await npm(app, 'init', '-y');
  await npm(app, 'pkg', 'set', 'type=module');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as LockEntry;
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(packed.filename, manifest, packed.integrity), null, 2));
  await npm(app, 'install', join(work, packed.filename), ...OFFLINE);

  // One copy of each instance the user's app owns: the peers are the app's.
  for (const peer of ['@opentelemetry/api', '@modelcontextprotocol/sdk']) {
    const copies = (await npm(app, 'ls', peer, '--all', '--parseable')).split('\n').filter(Boolean);
    assert.deepEqual(copies, [join(app, 'node_modules', peer)], `${peer}: ${copies.join(', ')}`);
  }

  // A source map carries its sources: none points at a file the package lacks.
  const installed = join(app, 'node_modules/mcp-audit-trail');
  for (const map of filesUnder(installed).filter((path) => path.endsWith('.map'))) {
    const { sources, sourcesContent } = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
    assert.equal(sourcesContent?.filter((content) => typeof content === 'string').length, sources.length, map);
  }

  writeFileSync(
    join(app, 'index.js'),
    [
      "import { startAuditTrail, instrumentMcpServer } from 'mcp-audit-trail';",
      'console.log(typeof startAuditTrail, typeof instrumentMcpServer);',
    ].join('\n'),
  );
  assert.equal((await run(process.execPath, ['index.js'], { cwd: app, env })).stdout.trim(), 'function function');

  // The import type-checks from the shipped declarations (through `exports`).
  writeFileSync(
    join(app, 'check.ts'),
    [
      "import { startAuditTrail, instrumentMcpServer, type AuditTrailConfig } from 'mcp-audit-trail';",
      'const start: (config?: AuditTrailConfig) => unknown = startAuditTrail;',
      'const instrument: typeof instrumentMcpServer = instrumentMcpServer;',
      '// @ts-expect-error: a wrong argument is caught, so the types are real, not any',
      'startAuditTrail(42);',
      'export { start, instrument };',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [join(ROOT, 'node_modules/@types')],
        types: ['node'],
      },
      files: ['check.ts'],
    }),
  );
  await run(process.execPath, [TSC, '-p', '.'], { cwd: app, env }).catch((error: { stdout?: string }) => {
    assert.fail(`tsc in the consumer project:\n${error.stdout ?? String(error)}`);
  });

  const help = await npm(app, 'exec', '--offline', '--', 'mcp-audit', '--help');
  assert.match(help, /^Usage: mcp-audit <command>/);
  assert.match(help, /^ {2}proxy /m);
  // Like every command's (docs/cli.md), the proxy's help is on stdout: no JSON-RPC is spoken when it is asked for.
  const proxyHelp = await run('npm', ['exec', '--offline', '--', 'mcp-audit', 'proxy', '--help'], { cwd: app, env });
  assert.match(proxyHelp.stdout, /^Usage: mcp-audit proxy /);

  // verify --public-key checks the chain on a worker thread: its module ships and is found where installed.
  const trail = join(work, 'trail');
  mkdirSync(trail);
  writeFileSync(join(trail, 'audit_2026-01-15.jsonl'), new ChainHasher(undefined).chain({ tool_name: 'ping' }, GENESIS).line);
  await npm(app, 'exec', '--offline', '--', 'mcp-audit', 'keygen', '--out', 'keys');
  const verifyArgs = [
    'exec',
    '--offline',
    '--',
    'mcp-audit',
    'verify',
    trail,
    '--no-head',
    '--public-key',
    join(app, 'keys', 'audit-signing.pub'),
    '--json',
  ];
  // Exit 1: an unsigned trail has no checkpoint; what matters is that the chain's report came back from the worker.
  const verified = await run('npm', verifyArgs, { cwd: app, env: { ...env, AUDIT_HMAC_KEY: '' } }).then(
    () => assert.fail('an unsigned trail has no checkpoint: exit 1'),
    (error: { code?: number; stdout?: string; stderr?: string }) => error,
  );
  assert.equal(verified.code, 1, verified.stderr);
  const report = JSON.parse(verified.stdout!) as { chain: { ok: boolean; records: number }; problems: { kind: string }[] };
  assert.deepEqual(report.chain, { ...report.chain, ok: true, records: 1 });
  assert.deepEqual(
    report.problems.map((problem) => problem.kind),
    ['no-checkpoint'],
  );
});
