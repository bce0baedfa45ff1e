import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Headers of one hop only (RFC 9110 §7.6.1), never passed on by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Why the upstream gave no usable answer: 502 (down, refused, cut off, garbage) or 504 (too slow). */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: 502 | 504,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The headers to pass on, minus those of this hop and `drop`. Names keep the
 * client's case; the upstream computes its own Host and Content-Length.
 */
export function passedHeaders(rawHeaders: readonly string[], drop: ReadonlySet<string>): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || drop.has(lower)) continue;
    const value = rawHeaders[index + 1]!;
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}

/** The upstream's response headers to send on, minus those of this hop and Content-Length (the body may be replaced). */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const passed: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') passed[name] = value;
  }
  return passed;
}

/**
 * The MCP endpoint the proxy forwards to. Connections are kept alive and
 * reused. No timeout by default: a tool call may rightly run for as long as
 * the client is willing to wait, and the client has its own clock.
 */
export class Upstream {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    readonly url: URL,
    private readonly timeoutMs: number | null = null,
  ) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--upstream must be an http: or https: URL, not ${url.protocol}`);
    this.agent = url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  }

  /** Resolves once the upstream's response headers arrive; rejects with an UpstreamFailure. */
  request(method: string, headers: OutgoingHttpHeaders, body: Buffer | null, signal: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const outgoing = this.send(this.url, { method, headers, agent: this.agent, signal });
      const timer =
        this.timeoutMs === null
          ? null
          : setTimeout(() => {
              reject(new UpstreamFailure(504, `the upstream did not answer within ${this.timeoutMs} ms`));
              outgoing.destroy();
            }, this.timeoutMs);
      outgoing.once('response', (response) => {
        if (timer) clearTimeout(timer);
        resolve(response);
      });
      outgoing.once('error', (error: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        reject(new UpstreamFailure(502, describeNetworkError(error, this.url)));
      });
      outgoing.end(body ?? undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export function describeNetworkError(error: NodeJS.ErrnoException, url: URL): string {
  const where = `the upstream ${url.origin}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection (ECONNREFUSED)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `${where} closed the connection before answering (${error.code})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where} could not be resolved (${error.code})`;
    default:
      return `${where} could not be reached: ${error.message}`;
  }
}
