import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mcp-audit` as a real child process, as a user would (no TTY, so no colour). An `env` entry set to
 * undefined is removed from the child's environment; `cwd` is where a relative default (./logs) resolves.
 * An AUDIT_HMAC_KEY in the test runner's own environment is not passed on: a test that wants a key gives it.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): CliRun {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AUDIT_HMAC_KEY: undefined, ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', env: childEnv, timeout: 30_000, ...(cwd ? { cwd } : {}) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a shell pipeline (the seed's jq recipes) and returns its stdout. */
export function shell(pipeline: string, cwd: string): string {
  const result = spawnSync('bash', ['-o', 'pipefail', '-c', pipeline], { encoding: 'utf8', cwd, timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${pipeline} failed: ${result.stderr}`);
  return result.stdout;
}

export { spawn };

/** `mcp-audit verify DIR` passes: the trail a test left behind is intact. */
export function verifies(logDir: string): void {
  const verify = runCli(['verify', logDir]);
  assert.equal(verify.status, 0, verify.stdout + verify.stderr);
}
