import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifies } from '../support/cli.js';
import { fillDisk } from '../support/full-disk.js';
import { collectLines, exited, helpdeskDirs, INITIALIZE, spawnHelpdesk, waitFor } from '../support/helpdesk-process.js';
import { readTrail } from '../support/trail-files.js';

interface Answer {
  id: unknown;
  error?: { code: number; message: string };
}

test('a malformed message whose record cannot be written is answered with the audit failure, not a plain refusal', async (t) => {
  const dirs = helpdeskDirs('e2e-malformed-full');
  const child = spawnHelpdesk(dirs);
  // A server left running (it retries the unwritten records for ever) would keep this file from ending.
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = collectLines(child);
  const exchange = async (line: string): Promise<Answer> => {
    const before = lines.length;
    child.stdin.write(`${line}\n`);
    await waitFor(() => lines.length > before, `an answer to ${line} (stderr: ${stderr})`, 60_000);
    return JSON.parse(lines[before]!) as Answer;
  };

  child.stdin.write(INITIALIZE);
  await waitFor(() => lines.length === 1, `the initialize answer (stderr: ${stderr})`, 60_000);

  const spaceReturns = fillDisk(0, child.pid!);
  t.after(spaceReturns);
  const paramsNull = await exchange('{"jsonrpc":"2.0","id":11,"method":"tools/call","params":null}');
  assert.equal(paramsNull.id, 11);
  assert.equal(paramsNull.error?.code, -32603);
  assert.match(
    paramsNull.error.message,
    /^Audit record could not be written \(EFBIG.*; the request is refused all the same \(Invalid params: "params" must be an object\)$/,
  );
  const notJson = await exchange('{"jsonrpc":"2.0","id":12,');
  assert.equal(notJson.id, null);
  assert.equal(notJson.error?.code, -32603);
  assert.match(notJson.error.message, /^Audit record could not be written \(EFBIG.*\(Parse error: the message is not valid JSON\)$/);
  spaceReturns();

  // With space again, a refusal is the plain one, its record in the trail before the answer.
  const recorded = await exchange('{"jsonrpc":"2.0","id":13,"method":"tools/call","params":[1]}');
  assert.deepEqual(recorded.error, { code: -32602, message: 'Invalid params: "params" must be an object' });
  assert.equal(readTrail(dirs.logDir).filter((record) => record.request_id === '13').length, 1);

  child.stdin.end();
  await exited(child);
  verifies(dirs.logDir);
});
