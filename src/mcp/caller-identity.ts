import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
} from '@opentelemetry/semantic-conventions/incubating';
import type { AuditDetails } from '../audit/record/audit-details.js';
import type { Redactor } from '../audit/redaction/redactor.js';
import { cappedId, type SummaryReport } from '../audit/record/summarize.js';
import { actorOf, clientAddressOf } from './actor.js';
import { CleanedClient } from './cleaned-client.js';
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
  private described: { transport: Transport | undefined; description: TransportDescription } = {
    transport: undefined,
    description: describeTransport(undefined),
  };
  private readonly client: CleanedClient;

  constructor(
    private readonly server: McpServer,
    clean: (text: string, report: SummaryReport) => string,
  ) {
    this.client = new CleanedClient(clean);
  }

  whoFor(extra: RawRequestExtra, report: SummaryReport): Who {
    const transport = this.transportDescription();
    return {
      sessionId: extra.sessionId ?? null,
      client: this.client.of(this.server.server.getClientVersion(), report),
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
}

/** `who` with its session id capped (see cappedId): whoever chose the id, it cannot fill every record and span. */
export function cappedWho(who: Who, report: SummaryReport, redactor?: Redactor): Who {
  return who.sessionId === null ? who : { ...who, sessionId: cappedId(who.sessionId, report, redactor) };
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
