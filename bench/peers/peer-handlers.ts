import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { performance } from 'node:perf_hooks';

/** What a peer logs per call: the seed's record schema (timestamp … duration_ms). */
export interface PeerRecord {
  timestamp: string;
  action: 'tool_call';
  tool_name: string;
  input_summary: unknown;
  result_summary: string | null;
  success: boolean;
  error: string | null;
  duration_ms: number;
}

/** Logs one record; the handler's answer waits for it, so each record is handed over before its response. */
export type PeerLogger = (record: PeerRecord) => void | Promise<void>;

type Handler = (...args: unknown[]) => unknown;

/**
 * Makes every tool registered on `server` from now on log a record the way a
 * user without this library would: inside the handler, after the tool ran.
 * It must be called before the tools are registered (the bench server's build hook).
 */
export function logInHandlers(server: McpServer, log: PeerLogger): void {
  const register = server.registerTool.bind(server) as (name: string, config: unknown, handler: Handler) => unknown;
  const wrapped = (name: string, config: unknown, handler: Handler): unknown =>
    register(name, config, async (...args: unknown[]) => {
      const started = performance.now();
      // With an input schema the SDK passes (arguments, extra); without one only (extra).
      const input = args.length > 1 ? args[0] : {};
      const record = (success: boolean, result: string | null, error: string | null): PeerRecord => ({
        timestamp: new Date().toISOString(),
        action: 'tool_call',
        tool_name: name,
        input_summary: input,
        result_summary: result,
        success,
        error,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      });
      try {
        const result = (await handler(...args)) as { content?: unknown[]; isError?: boolean };
        await log(record(!result.isError, `${result.content?.length ?? 0} content item(s)`, null));
        return result;
      } catch (error) {
        await log(record(false, null, error instanceof Error ? error.message : String(error)));
        throw error;
      }
    });
  (server as unknown as { registerTool: typeof wrapped }).registerTool = wrapped;
}
