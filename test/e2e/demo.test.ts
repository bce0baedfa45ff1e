import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const demoPath = fileURLToPath(new URL('../../src/demo/run-demo.js', import.meta.url));

test('the demo runs the whole story and checks its own trail', async () => {
  const cwd = makeTempDir('e2e-demo');
  const { AUDIT_LOG_DIR: _logDir, HELPDESK_DATA_DIR: _dataDir, ...env } = process.env;
  const { stdout } = await promisify(execFile)(process.execPath, [demoPath], { cwd, env });
  assert.match(stdout, /OK: 8 calls, 8 records, 3 failures recorded\./);
  // Besides the 8 tool calls, the trail frames the session with its start and end.
  assert.deepEqual(readTrail(`${cwd}/logs`).filter((record) => record.action === 'tool_call').length, 8);
});
