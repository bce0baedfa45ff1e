import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CLIENT_ADDRESS_HEADER } from '../mcp/client-address.js';
import type { AuditTrail } from '../telemetry/audit-trail.js';
import type { BearerTokens } from './bearer-tokens.js';

export const AUTH_FAILURE_ACTION = 'auth_failure';

function refuse(res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code: -32001, message }, id: null });
}

/**
 * Refuses a request whose Origin names a host outside `allowedHostnames`: a
 * page on another site cannot drive a local server from the user's browser,
 * even after DNS rebinding (the SDK's Host check covers the Host header).
 */
export function originCheck(allowedHostnames: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    let hostname: string | undefined;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      hostname = undefined;
    }
    if (hostname !== undefined && allowedHostnames.includes(hostname)) return next();
    refuse(res, 403, `Forbidden: Origin ${origin} is not allowed`);
  };
}

/** Puts the peer's socket address where the instrumentation reads it, replacing any client-sent value. */
export function clientAddressHeader(): RequestHandler {
  return (req, _res, next) => {
    // The SDK builds its Request from rawHeaders, so both views are rewritten.
    delete req.headers[CLIENT_ADDRESS_HEADER];
    const raw: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() !== CLIENT_ADDRESS_HEADER) raw.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    const address = req.socket.remoteAddress;
    if (address) {
      req.headers[CLIENT_ADDRESS_HEADER] = address;
      raw.push(CLIENT_ADDRESS_HEADER, address);
    }
    req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
    next();
  };
}

/**
 * Bearer-token auth. A valid token sets the SDK's `req.auth`, so that tool
 * handlers see `extra.authInfo.clientId` = the token's principal. A missing
 * or unknown token is answered 401 after an `auth_failure` record is written
 * (the token itself never goes into the trail).
 */
export function bearerAuth(tokens: BearerTokens, trail: Pick<AuditTrail, 'recordEvent'>): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    const token = match?.[1];
    const principal = token === undefined ? null : tokens.principalFor(token);
    if (token !== undefined && principal !== null) {
      (req as Request & { auth?: unknown }).auth = { token, clientId: principal, scopes: [] };
      return next();
    }
    const reason = header === undefined ? 'missing bearer token' : token === undefined ? 'malformed Authorization header' : 'invalid bearer token';
    await recordRefusal(trail, req, reason);
    refuse(res, 401, `Unauthorized: ${reason}`, { 'WWW-Authenticate': token === undefined ? 'Bearer' : 'Bearer error="invalid_token"' });
  };
}

/** Writes the `auth_failure` record; a trail that cannot write still refuses the request, and says so on stderr. */
export async function recordRefusal(trail: Pick<AuditTrail, 'recordEvent'>, req: Request, reason: string): Promise<void> {
  const sessionId = req.headers['mcp-session-id'];
  const peer = req.socket.remoteAddress ?? null;
  const path = req.originalUrl.split('?')[0]!;
  try {
    await trail.recordEvent({
      action: AUTH_FAILURE_ACTION,
      error: reason,
      transport: 'streamable-http',
      sessionId: typeof sessionId === 'string' ? sessionId : null,
      clientAddress: peer,
      inputSummary: { http_method: req.method, path },
      attributes: { 'http.request.method': req.method, 'url.path': path, 'network.transport': 'tcp', ...(peer ? { 'client.address': peer } : {}) },
    });
  } catch (error) {
    process.stderr.write(`mcp-audit: could not record ${AUTH_FAILURE_ACTION}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
