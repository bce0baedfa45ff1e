import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CLIENT_ADDRESS_HEADER } from '../mcp/client-address.js';
import type { AuthFailureRecords } from './auth-failure-records.js';
import type { BearerTokens } from './bearer-tokens.js';
import { REFUSED, sendJsonRpcError } from './json-rpc-responses.js';

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
    sendJsonRpcError(res, 403, REFUSED, `Forbidden: Origin ${origin} is not allowed`);
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
 * Bearer-token auth, before the body is read or parsed: a request without a
 * valid token is refused whatever its body. A valid token sets the SDK's
 * `req.auth`, so that tool handlers see `extra.authInfo.clientId` = the
 * token's principal. A missing or unknown token is answered 401 once its
 * `auth_failure` record is written, or counted if its source is over the
 * rate limit (the token itself never goes into the trail).
 */
export function bearerAuth(tokens: BearerTokens, authFailures: AuthFailureRecords): RequestHandler {
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
    await authFailures.record(req, reason);
    // The body is never read: close the connection rather than drain whatever a stranger sends.
    sendJsonRpcError(res, 401, REFUSED, `Unauthorized: ${reason}`, {
      'WWW-Authenticate': token === undefined ? 'Bearer' : 'Bearer error="invalid_token"',
      Connection: 'close',
    });
  };
}
