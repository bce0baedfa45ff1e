import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startAuditTrail } from '../../src/index.js';
import { createHelpdeskContext } from '../../src/helpdesk/context.js';
import { createAuditedHelpdeskServer } from '../../src/helpdesk/server.js';
import { runCli } from '../support/cli.js';
import { connectInMemory } from '../support/in-memory-client.js';
import { makeTempDir, readTrail } from '../support/trail-files.js';

// The real help desk, audited, behind a real MCP client: what an agent sees and what the trail keeps.
const logDir = makeTempDir('query-guard-tools');
const trail = startAuditTrail({ logDir, serviceName: 'query-guard-tools', register: false });
const { server } = createAuditedHelpdeskServer(createHelpdeskContext(makeTempDir('query-guard-data')), trail);
const client = await connectInMemory(server);
after(async () => {
  await client.close();
  await trail.shutdown();
});

function textOf(result: CallToolResult): string {
  const item = result.content[0];
  return item?.type === 'text' ? item.text : '';
}

async function call(name: string, query: string): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: { query } })) as CallToolResult;
}

const LOOKALIKES = [
  '\uff0e\uff0e\uff0fetc\uff0fpasswd',
  '\u2024\u2024/etc/passwd',
  '..\u2044etc\u2044passwd',
  '..\u2215etc',
  '%25252e%25252e%25252fetc',
  '%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc',
  'file:///etc/passwd',
  'smb://fileserver/share',
  '~root',
  '....//....//etc/passwd',
  '..;/etc',
  '.\u200b./etc',
  '\u3000/etc/passwd',
  '\u200b../etc',
];

for (const tool of ['lookup_inventory', 'search_policies']) {
  test(`${tool} refuses traversal lookalikes as security events, one failed record each`, async () => {
    for (const query of LOOKALIKES) {
      const result = await call(tool, query);
      assert.equal(result.isError, true, JSON.stringify(query));
      assert.equal(textOf(result), 'Invalid query');
    }
    const refused = readTrail(logDir).filter((record) => record.tool_name === tool && record.error === 'Invalid query');
    assert.deepEqual(
      refused.map((record) => record.input_summary['query']),
      LOOKALIKES,
    );
    assert.ok(refused.every((record) => record.success === false));
  });
}

/** [tool, query, an item the answer must hold (not just the query echoed)]. */
const PRODUCT_QUERIES: Array<[string, string, RegExp]> = [
  ['lookup_inventory', '27" monitor', /U2723QE/],
  ['lookup_inventory', 'USB-C / HDMI', /Dock|DisplayPort/],
  ['lookup_inventory', 'HDMI 2.1 cable', /HDMI 2\.1 Cable/],
  ['lookup_inventory', 'v2.1 hdmi', /HDMI 2\.1 Cable/],
  ['lookup_inventory', '~5 kg laptop', /ThinkPad|MacBook|Latitude/],
  ['lookup_inventory', '18GB/512GB macbook', /MacBook Pro/],
  ['search_policies', 'remote access / VPN', /Remote Access and VPN Policy/],
  ['search_policies', 'password policy v2.1', /Password Policy/],
];

test('product queries with dots, slashes and tildes in normal places are served', async () => {
  for (const [tool, query, expected] of PRODUCT_QUERIES) {
    const result = await call(tool, query);
    assert.equal(result.isError, undefined, query);
    assert.match(textOf(result), /^Found [1-9]\d* /, query);
    assert.match(textOf(result), expected, query);
  }
  const served = readTrail(logDir).filter((record) => PRODUCT_QUERIES.some(([, query]) => record.input_summary['query'] === query));
  assert.equal(served.length, PRODUCT_QUERIES.length);
  assert.ok(served.every((record) => record.success));
});

test('the trail these calls leave verifies', async () => {
  await trail.forceFlush();
  const result = runCli(['verify', logDir]);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
