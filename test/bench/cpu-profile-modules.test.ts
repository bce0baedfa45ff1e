import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { summarizeCpuProfile } from '../../bench/cpu-profile.js';

// A hand-made .cpuprofile: root → our committer → JSON.stringify (native), root → an SDK function, and idle.
test('each busy sample is charged to the deepest module of our src/ on its stack, callees included', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-profile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '0' });
  const profile = {
    startTime: 1_000,
    endTime: 2_000,
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
      { id: 2, callFrame: frame('handle', 'file:///x/dist/src/mcp/handler-auditor.js'), children: [3] },
      { id: 3, callFrame: frame('commit', 'file:///x/dist/src/audit/trail/trail-committer.js'), children: [4] },
      { id: 4, callFrame: frame('stringify', ''), children: [] },
      { id: 5, callFrame: frame('send', 'file:///x/node_modules/@modelcontextprotocol/sdk/dist/esm/shared/protocol.js'), children: [] },
      { id: 6, callFrame: frame('(idle)', ''), children: [] },
    ],
    samples: [4, 4, 3, 2, 5, 6, 6],
    timeDeltas: [10, 10, 10, 10, 10, 10, 10],
  };
  writeFileSync(join(dir, 'x.cpuprofile'), JSON.stringify(profile));
  const summary = summarizeCpuProfile(dir, { fromUs: 0, toUs: 10_000 });
  assert.equal(summary.busyMs, 0.05);
  const share = (name: string): number | undefined => summary.byOwnModule.find((entry) => entry.name === name)?.percent;
  assert.equal(share('src/audit/trail/trail-committer.js'), 60);
  assert.equal(share('src/mcp/handler-auditor.js'), 20);
  assert.equal(share('(outside our modules)'), 20);
});
