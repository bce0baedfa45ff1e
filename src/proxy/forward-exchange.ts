import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { INVALID_REQUEST, REFUSED, sendJsonRpcError } from '../http/json-rpc-responses.js';
import { isRequest, type JsonRpcMessage } from '../mcp/json-rpc.js';
import { refusalBody } from '../mcp/refusal-answer.js';
import type { MessageAuditor } from '../mcp/message-auditor.js';
import type { RequestCarrier } from '../mcp/wire-identity.js';
import { fingerprint, readBody } from './client-request.js';
import { HEADER_MISMATCH, headerMismatch } from './header-check.js';
import { sent, type InFlightExchanges } from './in-flight-exchanges.js';
import type { ProxySession, ProxySessions } from './proxy-sessions.js';
import { SESSION_RETRY_AFTER_SECONDS, type SessionAdmission } from './session-admission.js';
import { answerWithErrors, type Exchange, failExchange } from './exchange.js';
import { screenPostBody } from './client-screen.js';
import { relayResponse } from './relay-response.js';
import { passedHeaders, UpstreamFailure, type Upstream } from './upstream.js';
import { sessionHeaders } from './upstream-session-end.js';

export interface ForwardContext {
  upstream: Upstream;
  sessions: ProxySessions;
  /** Where the exchange waits on the upstream, so that a shutdown can fail it. */
  inFlight: InFlightExchanges;
  admission: SessionAdmission;
  /** Writes the record of a refusal at the HTTP layer (an `auth_failure`, rate-limited per source). */
  recordRefusal: (req: Request, reason: string, actor: string | null) => Promise<void>;
  /** An auditor for an exchange outside any session, closed when the exchange ends. */
  newAuditor: () => MessageAuditor;
  /** The principal of the proxy's own bearer token, when the front requires one. */
  principal: string | null;
  frontAuth: boolean;
  maxBodyBytes: number;
}

/**
 * Not passed upstream: the upstream sets its own Host and Content-Length, and
 * must answer uncompressed for the proxy to read the answer. The proxy's own
 * token (when the front requires one) is not the upstream's business.
 */
const ALWAYS_DROPPED = ['host', 'content-length', 'accept-encoding'];

/** One HTTP request from the client, forwarded upstream, and the answer back, each message seen by its auditor. */
export async function forwardExchange(req: Request, res: Response, context: ForwardContext): Promise<void> {
  const body = req.method === 'POST' ? await readBody(req, context.maxBodyBytes) : null;
  if (body === 'too large') {
    return sendJsonRpcError(res, 413, INVALID_REQUEST, `Request body larger than ${context.maxBodyBytes} bytes (MCP_MAX_BODY_BYTES)`, {
      Connection: 'close',
    });
  }
  const screened = body === null ? null : screenPostBody(req.headers, body);
  const payload = screened !== null && 'accepted' in screened ? screened.accepted : undefined;
  const messages: JsonRpcMessage[] = payload === undefined ? [] : Array.isArray(payload) ? payload : [payload];
  const sessionId = req.headers['mcp-session-id'];
  const actor = context.principal ?? fingerprint(req.headers.authorization);
  const initialize = messages.find((message) => isRequest(message) && message.method === 'initialize');
  // An initialize outside any session may open one upstream: only while the proxy has room for it.
  const admitted = initialize && typeof sessionId !== 'string' ? context.admission.admit(actor) : null;
  if (admitted !== null && typeof admitted !== 'function') {
    if (admitted.status === 429)
      await context.recordRefusal(req, 'too many sessions open for this principal (MCP_MAX_SESSIONS_PER_PRINCIPAL)', actor);
    return sendJsonRpcError(res, admitted.status, REFUSED, admitted.message, { 'Retry-After': String(SESSION_RETRY_AFTER_SECONDS) });
  }
  let session: ProxySession | null = typeof sessionId === 'string' ? context.sessions.get(sessionId, context.principal, actor) : null;
  const auditor = session?.auditor ?? context.newAuditor();
  let gone = false;
  // The proxy is shutting down and has answered this exchange itself: nothing more of the upstream's is passed on.
  let stopped = false;
  let refusal: Promise<void> | null = null;
  let openedHere: string | null = null;
  const exchange: Exchange = {
    auditor,
    requestIds: messages.filter(isRequest).map((message) => message.id),
    batch: Array.isArray(payload),
    resumable: session !== null,
    res,
    clientGone: () => gone || stopped,
    // Fail closed for sessions: an initialize whose session_start could not be written is refused, and the session
    // the upstream opened for it must not live on in the proxy (its calls would pass). Marked before the error is sent.
    withheld: (id) => {
      if (openedHere !== null && initialize && isRequest(initialize) && id === JSON.stringify(initialize.id)) {
        refusal = context.sessions.refuse(openedHere, 'the session_start record could not be written; the session is refused');
      }
    },
  };
  const carrier: RequestCarrier = { actor, clientAddress: req.socket.remoteAddress ?? null };
  const leave = session ? context.sessions.enter(session) : null;
  let leaveInFlight: (() => void) | null = null;
  try {
    if (screened !== null && 'refused' in screened) {
      // Never passed upstream: recorded, then answered here, as the embedded server answers.
      const losses = await Promise.all(screened.refused.map((rejected) => auditor.refused(rejected, carrier)));
      const answer = refusalBody(screened.refused, losses, screened.batch);
      return void res.writeHead(screened.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    }
    const mismatch = messages.length === 1 ? headerMismatch(req.headers, messages[0]!) : null;
    if (payload !== undefined) auditor.fromClient(payload, carrier);
    if (mismatch !== null) {
      await auditor.abandonRequests(exchange.requestIds, `Bad Request: ${mismatch}`, 'header_mismatch');
      const answer = {
        jsonrpc: '2.0',
        id: exchange.requestIds[0] ?? null,
        error: { code: HEADER_MISMATCH, message: `Bad Request: the request headers and body disagree: ${mismatch}` },
      };
      return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    }

    const abort = new AbortController();
    res.once('close', () => {
      if (res.writableFinished) return;
      gone = true;
      abort.abort();
      // Without a session there is no stream to resume: closing it cancels the call (2026-07-28 says so).
      if (!exchange.resumable) auditor.cancelRequests(exchange.requestIds, 'the client closed the response stream');
    });
    leaveInFlight = context.inFlight.add((reason) => {
      // Requests taken here are the ones still waiting on the upstream; none taken: their answers are already being passed on.
      const waiting = auditor.pendingCount;
      stopped = true;
      const errors = auditor.abandonRequests(exchange.requestIds, reason, 'proxy_shutdown');
      if (auditor.pendingCount === waiting) {
        stopped = false;
        return Promise.resolve();
      }
      abort.abort();
      return errors.then((answers) => {
        if (!gone && !res.destroyed) answerWithErrors(exchange, 503, answers, reason);
        return sent(res);
      });
    });
    const dropped = new Set(context.frontAuth ? [...ALWAYS_DROPPED, 'authorization'] : ALWAYS_DROPPED);
    const headers = passedHeaders(req.rawHeaders, dropped);
    if (session) session.upstreamHeaders = sessionHeaders(headers);
    let upstream: IncomingMessage;
    try {
      upstream = await context.upstream.request(req.method ?? 'GET', headers, body, abort.signal);
    } catch (error) {
      if (exchange.clientGone()) return;
      if (error instanceof UpstreamFailure) return await failExchange(exchange, error.status, error.message);
      throw error;
    }
    const status = upstream.statusCode ?? 502;
    const given = upstream.headers['mcp-session-id'];
    if (!session && typeof given === 'string' && status < 300) {
      session = context.sessions.opened(given, auditor, context.principal, actor, sessionHeaders(headers));
      openedHere = given;
      exchange.resumable = true;
    } else if (!session && initialize && status < 300) {
      // A 2025-era upstream without sessions: no session follows this initialize, so none is recorded.
      auditor.withoutSession();
    }
    // The session, if the upstream opened one, now counts as open rather than as being opened.
    if (typeof admitted === 'function') admitted();
    // Recorded before the client hears that its session is over.
    if (typeof sessionId === 'string' && (status === 404 || (req.method === 'DELETE' && status < 300))) {
      await context.sessions.end(sessionId, status === 404 ? 'the upstream no longer knows the session' : 'the client ended the session');
    }
    await relayResponse(upstream, exchange);
    await refusal;
  } finally {
    if (typeof admitted === 'function') admitted();
    leaveInFlight?.();
    leave?.();
    if (!session) await auditor.close();
  }
}
