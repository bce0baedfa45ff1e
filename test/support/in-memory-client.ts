import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/**
 * In memory an answer takes milliseconds, even for a thousand calls at once
 * on a loaded machine: a request that was never answered (a broken auditor)
 * fails after 15 s instead of the SDK's 60, so a red suite says so sooner.
 */
const IN_MEMORY_REQUEST_TIMEOUT_MS = 15_000;

class InMemoryTestClient extends Client {
  override request(...[request, schema, options]: Parameters<Client['request']>): ReturnType<Client['request']> {
    return super.request(request, schema, { timeout: IN_MEMORY_REQUEST_TIMEOUT_MS, ...options });
  }
}

/** A real SDK client connected to `server` over the SDK's in-memory transport. */
export async function connectInMemory(server: McpServer, clientInfo = { name: 'test-client', version: '1.2.3' }): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new InMemoryTestClient(clientInfo);
  await client.connect(clientTransport);
  return client;
}
