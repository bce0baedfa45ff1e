import { userInfo } from 'node:os';
import { clientAddressFromHeaders } from './client-address.js';
import type { RawRequestExtra } from './sdk-internals.js';

let osUser: string | null | undefined;

/** The OS account running this server; null where the platform cannot name it (a uid with no passwd entry). */
export function osUserName(): string | null {
  if (osUser === undefined) {
    try {
      osUser = userInfo().username || null;
    } catch {
      osUser = process.env['USER'] ?? process.env['USERNAME'] ?? null;
    }
  }
  return osUser;
}

/**
 * Who acted: the authenticated principal (`authInfo.clientId`, set by the
 * bearer middleware on HTTP), else, on a local transport such as stdio, the
 * OS user running the server, who is the one the client runs as. An
 * unauthenticated network request has no actor: null, not a guess.
 */
export function actorOf(extra: RawRequestExtra, networked: boolean): string | null {
  const principal = extra.authInfo?.clientId;
  if (typeof principal === 'string' && principal !== '') return principal;
  return networked ? null : osUserName();
}

/**
 * The peer address where the HTTP layer passed it on (`authInfo.extra.clientAddress`,
 * `requestInfo.remoteAddress`, or the header src/http sets on every request).
 */
export function clientAddressOf(extra: RawRequestExtra): string | null {
  const fromAuth = extra.authInfo?.extra?.['clientAddress'];
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const fromRequest = extra.requestInfo?.remoteAddress;
  if (typeof fromRequest === 'string' && fromRequest !== '') return fromRequest;
  return clientAddressFromHeaders(extra.requestInfo?.headers);
}
