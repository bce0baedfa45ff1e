type Env = Record<string, string | undefined>;

/**
 * What the HTTP front lets a client hold: sessions, body bytes, time and
 * connections, and how many `auth_failure` records a source may cause. Each
 * has an MCP_* variable; the defaults suit an MCP endpoint serving a few
 * hundred agents (small JSON-RPC bodies, sessions that live for hours).
 */
export interface HttpLimits {
  /** MCP_MAX_SESSIONS: open sessions; past it, initialize gets 503 + Retry-After. */
  maxSessions: number;
  /** MCP_MAX_BODY_BYTES: a request body larger than this gets 413. */
  maxBodyBytes: number;
  /** MCP_SESSION_IDLE_TIMEOUT_MS: a session with no request or stream open for this long is closed. */
  sessionIdleTimeoutMs: number;
  /** MCP_REQUEST_TIMEOUT_MS: the whole request (headers and body) must arrive within this; else 408. Not the response: an SSE stream may last. */
  requestTimeoutMs: number;
  /** MCP_HEADERS_TIMEOUT_MS: the headers must arrive within this (at most the request timeout); else 408. */
  headersTimeoutMs: number;
  /** MCP_KEEP_ALIVE_TIMEOUT_MS: an idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** MCP_MAX_CONNECTIONS: open connections; a request on one past it gets 503 + Retry-After and the connection is closed. */
  maxConnections: number;
  /** MCP_AUTH_FAILURE_RECORDS_PER_MINUTE: auth_failure records per source address (burst of as many); the rest are counted. */
  authFailureRecordsPerMinute: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxSessions: 500,
  // The SDK's own transport caps a message at 4 MB when it reads the body itself.
  maxBodyBytes: 4 * 1024 * 1024,
  sessionIdleTimeoutMs: 30 * 60_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1000,
  authFailureRecordsPerMinute: 10,
};

const VARIABLES: Record<keyof HttpLimits, string> = {
  maxSessions: 'MCP_MAX_SESSIONS',
  maxBodyBytes: 'MCP_MAX_BODY_BYTES',
  sessionIdleTimeoutMs: 'MCP_SESSION_IDLE_TIMEOUT_MS',
  requestTimeoutMs: 'MCP_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'MCP_HEADERS_TIMEOUT_MS',
  keepAliveTimeoutMs: 'MCP_KEEP_ALIVE_TIMEOUT_MS',
  maxConnections: 'MCP_MAX_CONNECTIONS',
  authFailureRecordsPerMinute: 'MCP_AUTH_FAILURE_RECORDS_PER_MINUTE',
};

/** The limits from the environment over `overrides` over the defaults; throws, naming the variable, on a bad value. */
export function httpLimitsFromEnv(overrides: Partial<HttpLimits> = {}, env: Env = process.env): HttpLimits {
  const limits = { ...DEFAULT_HTTP_LIMITS };
  for (const key of Object.keys(VARIABLES) as Array<keyof HttpLimits>) {
    const given = overrides[key];
    const value = given ?? wholeNumber(env, VARIABLES[key]);
    if (value === undefined) continue;
    // 0 would mean "no limit" to Node for some of these and "refuse everything" for others: neither is wanted.
    if (!Number.isInteger(value) || value < 1) throw new Error(`${VARIABLES[key]} must be a whole number >= 1, not "${value}"`);
    limits[key] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(`MCP_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed MCP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`);
  }
  return limits;
}

function wholeNumber(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1, not "${raw}"`);
  return value;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}

/**
 * Without tokens, anyone who can reach the port can call every tool, and the
 * Host check is no defence against a remote client that simply sends
 * `Host: localhost`. So a non-loopback listener needs tokens, or an operator
 * who says, with MCP_ALLOW_UNAUTHENTICATED_REMOTE=true, that something else
 * (a proxy, a private network) authenticates.
 */
export function checkExposure(host: string, authEnabled: boolean, allowOverride: boolean | undefined, env: Env = process.env): void {
  const raw = env['MCP_ALLOW_UNAUTHENTICATED_REMOTE']?.trim();
  if (raw !== undefined && raw !== '' && raw !== 'true' && raw !== 'false') {
    throw new Error(`MCP_ALLOW_UNAUTHENTICATED_REMOTE must be true or false, not "${raw}"`);
  }
  const allowed = allowOverride ?? raw === 'true';
  if (authEnabled || isLoopbackHost(host) || allowed) return;
  throw new Error(
    `refusing to listen on ${host} without MCP_AUTH_TOKENS: any client that can reach it could call every tool unauthenticated ` +
      `(the Host check does not stop a remote client that sends "Host: localhost"). Set MCP_AUTH_TOKENS or MCP_AUTH_TOKENS_FILE, ` +
      `listen on 127.0.0.1, or set MCP_ALLOW_UNAUTHENTICATED_REMOTE=true if something in front of this server authenticates`,
  );
}
