import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { getObjectShape, normalizeObjectSchema } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * The only place that touches the SDK's private state. The v1 McpServer
 * answers unknown tools and invalid arguments inside its own tools/call
 * handler, before any registered callback runs, so the seam that sees every
 * call is the low-level Protocol's method -> handler map. A move to SDK v2
 * changes this file and nothing else.
 */
export type RawRequestHandler = (request: RawRequest, extra: RawRequestExtra) => Promise<unknown>;

export interface RawRequest {
  method: string;
  id?: string | number;
  params?: { name?: unknown; arguments?: unknown; _meta?: Record<string, unknown>; [key: string]: unknown };
}

export interface RawRequestExtra {
  requestId: string | number;
  sessionId?: string | undefined;
  /** Set by bearer-auth middleware on HTTP (`req.auth`); `clientId` names the principal. */
  authInfo?: { clientId?: unknown; extra?: Record<string, unknown> } | undefined;
  /** The HTTP request, on HTTP transports. */
  requestInfo?: { headers?: unknown; remoteAddress?: unknown } | undefined;
}

interface ServerInternals {
  _requestHandlers?: unknown;
}
interface McpServerInternals {
  _registeredTools?: Record<string, { inputSchema?: unknown }>;
}

function requestHandlers(server: McpServer): Map<string, RawRequestHandler> {
  const handlers = (server.server as unknown as ServerInternals)._requestHandlers;
  if (!(handlers instanceof Map)) {
    throw new Error('unsupported @modelcontextprotocol/sdk version: Protocol._requestHandlers is not a Map');
  }
  return handlers as Map<string, RawRequestHandler>;
}

/** Wraps the handler of `method` now and whenever it is (re)installed later. */
export function interceptRequestHandler(server: McpServer, method: string, wrap: (handler: RawRequestHandler) => RawRequestHandler): void {
  const typed = requestHandlers(server);
  const originalSet = typed.set.bind(typed);
  typed.set = (key, handler) => originalSet(key, key === method ? wrap(handler) : handler);
  const existing = typed.get(method);
  if (existing) originalSet(method, wrap(existing));
}

/**
 * Answers every request with the error `refusal(method)` returns, when it returns one, instead of its handler:
 * at lookup time, so that it comes before every wrapper, whenever they were installed.
 */
export function refuseRequestsWhen(server: McpServer, refusal: (method: string) => Error | null): void {
  const typed = requestHandlers(server);
  const originalGet = typed.get.bind(typed);
  typed.get = (method) => {
    const handler = originalGet(method);
    const error = handler && refusal(method);
    return error ? () => Promise.reject(error) : handler;
  };
}

/**
 * Calls `listener` whenever the server's connection closes, keeping any
 * `onclose` handler the application sets before or after this call.
 */
export function onConnectionClosed(server: McpServer, listener: () => void): void {
  const protocol = server.server as { onclose?: (() => void) | undefined };
  let applicationHandler = protocol.onclose;
  const combined = (): void => {
    listener();
    applicationHandler?.();
  };
  Object.defineProperty(protocol, 'onclose', {
    configurable: true,
    enumerable: true,
    get: () => combined,
    set: (handler: (() => void) | undefined) => {
      applicationHandler = handler;
    },
  });
}

const declaredFieldsBySchema = new WeakMap<object, readonly string[]>();

/** Names of the tool's declared input fields, or undefined for a tool that is not registered. */
export function declaredInputFields(server: McpServer, toolName: string): readonly string[] | undefined {
  const tools = (server as unknown as McpServerInternals)._registeredTools;
  const tool = tools && Object.hasOwn(tools, toolName) ? tools[toolName] : undefined;
  if (!tool) return undefined;
  const schema = tool.inputSchema;
  if (!schema || typeof schema !== 'object') return [];
  let fields = declaredFieldsBySchema.get(schema);
  if (!fields) {
    const shape = getObjectShape(normalizeObjectSchema(schema as Parameters<typeof normalizeObjectSchema>[0]));
    fields = Object.keys(shape ?? {});
    declaredFieldsBySchema.set(schema, fields);
  }
  return fields;
}

export interface TransportDescription {
  /** Recorded in the audit trail: stdio, streamable-http, in-memory, or the class name. */
  name: string;
  /** OTel `network.transport`, where the conventions define one. */
  networkTransport?: 'pipe' | 'tcp';
}

export function describeTransport(transport: Transport | undefined): TransportDescription {
  if (!transport) return { name: 'unknown' };
  if (transport instanceof StdioServerTransport) return { name: 'stdio', networkTransport: 'pipe' };
  const className = transport.constructor.name;
  if (className.includes('StreamableHTTP')) return { name: 'streamable-http', networkTransport: 'tcp' };
  if (className === 'InMemoryTransport') return { name: 'in-memory' };
  return { name: className };
}

/** Calls `listener` with each transport the server connects to, before it starts. */
export function onTransportConnected(server: McpServer, listener: (transport: Transport) => void): void {
  const protocol = server.server;
  const connect = protocol.connect.bind(protocol);
  protocol.connect = (transport) => {
    listener(transport);
    return connect(transport);
  };
}
