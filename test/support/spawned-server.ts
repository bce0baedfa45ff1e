import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './trail-files.js';

export const SERVER_PATH = fileURLToPath(new URL('../../src/bin/helpdesk-server.js', import.meta.url));

/** Variables a test must not inherit from the machine (it sets its own). */
const INHERITED_OTEL = /^(OTEL_|PROMETHEUS_|MCP_)/;

export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name, value]) => value !== undefined && !INHERITED_OTEL.test(name))) as Record<
    string,
    string
  >;
  return { ...env, HELPDESK_DATA_DIR: makeTempDir('helpdesk-data'), ...extra };
}

/** The help-desk server as a real child process on stdio, with a real SDK client; stderr is collected. */
export async function spawnStdioServer(env: Record<string, string>): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER_PATH], env: cleanEnv(env), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'forwarding-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}
