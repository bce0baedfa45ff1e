import type { SummaryReport } from '../audit/record/summarize.js';
import type { Who } from './caller-identity.js';
import { CleanedClient } from './cleaned-client.js';

/** Where the protocol revision 2026-07-28 carries, on every request, what `initialize` carried once. */
const CLIENT_INFO_META = 'io.modelcontextprotocol/clientInfo';
const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';

/** The connection a wire auditor watches: what every record of it says about the transport and the actor. */
export interface WireConnection {
  transport: string;
  networkTransport?: 'pipe' | 'tcp';
  actor: string | null;
  sessionId?: string | null;
  clientAddress?: string | null;
}

/**
 * What one request's carrier says about it, over the connection's own facts:
 * on HTTP each POST has its own peer address and bearer principal.
 */
export type RequestCarrier = Partial<Pick<WireConnection, 'actor' | 'clientAddress'>>;

function asClientInfo(value: unknown): { name: string; version: string } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { name, version } = value as Record<string, unknown>;
  return typeof name === 'string' ? { name, version: typeof version === 'string' ? version : '' } : null;
}

/**
 * Who is behind the requests seen on one connection: the client and the
 * protocol version from `initialize` (2025 protocol era), or from each
 * request's `_meta` (2026-07-28, where there is no `initialize`).
 * Client-typed strings are cleaned (redacted, truncated) like any input.
 */
export class WireIdentity {
  /** The version the server agreed to in its initialize result. */
  protocolVersion: string | null = null;
  private sessionClient: { name: string; version: string } | null = null;
  private readonly client: CleanedClient;

  constructor(
    private readonly connection: WireConnection,
    private readonly clean: (text: string, report: SummaryReport) => string,
  ) {
    this.client = new CleanedClient(clean);
  }

  /** The client's initialize request passed. */
  initializing(params: Record<string, unknown>): void {
    this.sessionClient = asClientInfo(params['clientInfo']);
  }

  /** The server answered initialize with `result`. */
  initialized(result: unknown): void {
    const version = (result as { protocolVersion?: unknown } | null)?.protocolVersion;
    this.protocolVersion = typeof version === 'string' ? version : null;
  }

  /** The session id the server gave (HTTP: the `Mcp-Session-Id` of its initialize answer). */
  sessionIdentified(sessionId: string): void {
    this.connection.sessionId = sessionId;
  }

  whoFor(params: Record<string, unknown>, report: SummaryReport, carrier: RequestCarrier = {}): Who {
    const meta = params['_meta'];
    const fromMeta = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : undefined;
    const metaVersion = fromMeta?.[PROTOCOL_VERSION_META];
    const version = typeof metaVersion === 'string' ? this.clean(metaVersion, report) : this.protocolVersion;
    return {
      sessionId: this.connection.sessionId ?? null,
      client: this.client.of(asClientInfo(fromMeta?.[CLIENT_INFO_META]) ?? this.sessionClient, report),
      transport: this.connection.transport,
      networkTransport: this.connection.networkTransport,
      actor: carrier.actor !== undefined ? carrier.actor : this.connection.actor,
      clientAddress: carrier.clientAddress ?? this.connection.clientAddress ?? null,
      protocolVersion: version,
    };
  }
}
