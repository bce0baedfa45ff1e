import type { Request } from 'express';
import { PROTOCOL_VIOLATION_ACTION } from '../audit/record/audit-record.js';
import { newSummaryReport, redactAndTruncate } from '../audit/record/summarize.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';

/** Records a request refused for a body over the cap; `bytes` is the declared length, when one was. */
export type OversizedBodyRecorder = (req: Request, bytes: number | null) => Promise<void>;

/**
 * A POST to /mcp refused because its body is over MCP_MAX_BODY_BYTES holds
 * a message nobody read, perhaps a tools/call: the refusal itself is
 * recorded, as a `protocol_violation` naming the size, the session and the
 * principal, before the 413 goes out. The body is never read (that is the
 * point of the cap), so the record cannot say which method it held. No rate
 * limit: the request passed bearer auth when tokens are set, and each one
 * costs its sender the connection.
 */
export function oversizedBodyRecords(trail: Pick<AuditTrail, 'recordEvent'>, maxBytes: number): OversizedBodyRecorder {
  return async (req, bytes) => {
    const report = newSummaryReport();
    const clean = (value: string): string => redactAndTruncate(value, { report });
    const sessionId = req.headers['mcp-session-id'];
    const principal = (req as Request & { auth?: { clientId?: unknown } }).auth?.clientId;
    const peer = req.socket.remoteAddress ?? null;
    const size = bytes === null ? 'a request body' : `a request body of ${bytes} bytes`;
    try {
      await trail.recordEvent({
        action: PROTOCOL_VIOLATION_ACTION,
        transport: 'streamable-http',
        error: `${size} refused: larger than MCP_MAX_BODY_BYTES (${maxBytes})`,
        actor: typeof principal === 'string' ? principal : null,
        sessionId: typeof sessionId === 'string' ? clean(sessionId) : null,
        clientAddress: peer,
        inputSummary: { http_method: req.method, body_bytes: bytes },
        attributes: { 'http.request.method': req.method, 'network.transport': 'tcp', ...(peer ? { 'client.address': peer } : {}) },
        ...report,
      });
    } catch (error) {
      process.stderr.write(`mcp-audit: could not record an oversized request body: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };
}
