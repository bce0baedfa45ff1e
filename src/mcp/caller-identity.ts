import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS, ATTR_MCP_METHOD_NAME, ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_SESSION_ID, ATTR_NETWORK_TRANSPORT,
} from '@opentelemetry/semantic-conventions/incubating';
import type { AuditDetails } from '../audit/record/audit-details.js';
import { newSummaryReport, type SummaryReport } from '../audit/record/summarize.js';
import { actorOf, clientAddressOf } from './actor.js';
import { describeTransport, type RawRequestExtra, type TransportDescription } from './sdk-internals.js';

/** Who is behind a request: the fields every record of the session shares. */
export type Who = Pick<AuditDetails, 'sessionId' | 'client' | 'transport' | 'actor' | 'clientAddress' | 'protocolVersion'> & {
  /** Kept with the session: after the transport closes, the server no longer knows it. */
  networkTransport: 'pipe' | 'tcp' | undefined;
};

/**
 * Works out who is behind each request to one server: its session, client,
 * transport, actor and address, and the protocol version the session agreed.
 * Client-typed strings are cleaned (redacted, truncated) like any input.
 */
export class CallerIdentity {
  /** Set once the session's initialize request is answered. */
  protocolVersion: string | undefined;
  // The client's info is the same for every call of a session: clean it once.
  private described: { transport: Transport | undefined; description: TransportDescription } = { transport: undefined, description: describeTransport(undefined) };
  private cleanedClient: { raw: unknown; client: Who['client']; report: SummaryReport } = { raw: undefined, client: null, report: newSummaryReport() };

  constructor(
    private readonly server: McpServer,
    private readonly clean: (text: string, report: SummaryReport) => string,
  ) {}

  whoFor(extra: RawRequestExtra, report: SummaryReport): Who {
    const transport = this.transportDescription();
    return {
      sessionId: extra.sessionId ?? null,
      client: this.clientInfo(report),
      transport: transport.name,
      networkTransport: transport.networkTransport,
      actor: actorOf(extra, transport.networkTransport === 'tcp'),
      clientAddress: clientAddressOf(extra),
      protocolVersion: this.protocolVersion ?? null,
    };
  }

  // The same transport serves every call of a connection: describe it once per transport.
  private transportDescription(): TransportDescription {
    const transport = this.server.server.transport;
    if (transport !== this.described.transport) this.described = { transport, description: describeTransport(transport) };
    return this.described.description;
  }

  private clientInfo(report: SummaryReport): Who['client'] {
    const raw = this.server.server.getClientVersion();
    if (raw !== this.cleanedClient.raw) {
      const clientReport = newSummaryReport();
      const client = raw ? { name: this.clean(raw.name, clientReport), version: this.clean(raw.version, clientReport) } : null;
      this.cleanedClient = { raw, client, report: clientReport };
    }
    if (this.cleanedClient.report.redacted) report.redacted = true;
    if (this.cleanedClient.report.truncated) report.truncated = true;
    return this.cleanedClient.client;
  }
}

/** The MCP semconv attributes every span of a server carries. */
export function commonAttributes(method: string, who: Who): Attributes {
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
  if (who.sessionId) attributes[ATTR_MCP_SESSION_ID] = who.sessionId;
  if (who.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = who.networkTransport;
  if (who.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = who.protocolVersion;
  if (who.clientAddress) attributes[ATTR_CLIENT_ADDRESS] = who.clientAddress;
  return attributes;
}
