import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempDir, readTrail } from '../support/trail-files.js';

const examplePath = fileURLToPath(new URL('../../examples/minimal-audited-server.js', import.meta.url));
const repoRoot = new URL('../../../', import.meta.url);

test('the README shows the minimal example as it is in examples/, the file the next test runs', () => {
  const readme = readFileSync(new URL('README.md', repoRoot), 'utf8');
  // The example's opening comment says what the file is; the README says that in its own words.
  const code = readFileSync(new URL('examples/minimal-audited-server.ts', repoRoot), 'utf8').replace(/^(\/\/.*\n)+/, '');
  assert.ok(readme.includes(`\`\`\`ts\n${code}\`\`\``), 'README.md and examples/minimal-audited-server.ts differ');
});

test("the README's minimal example audits its tool through the package's public entry point", async () => {
  const logDir = join(makeTempDir('e2e-example'), 'logs');
  const client = new Client({ name: 'example-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [examplePath],
      env: { ...(process.env as Record<string, string>), AUDIT_LOG_DIR: logDir },
    }),
  );
  assert.deepEqual((await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).structuredContent, { sum: 5 });
  await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } });
  await client.close();
  const records = readTrail(logDir).filter((record) => record.action === 'tool_call');
  assert.deepEqual(
    records.map((record) => [record.tool_name, record.success, record.result_summary, record.service]),
    [
      ['add', true, 'sum is {"sum":5}', 'calculator'],
      ['add', false, null, 'calculator'],
    ],
  );
  assert.deepEqual(records[1]?.input_summary, { a: 'two', b: 3 });
});
