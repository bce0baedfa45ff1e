import type { OutgoingHttpHeaders } from 'node:http';
import { UpstreamFailure, type Upstream } from './upstream.js';

/** Headers that describe one request's body or stream, not the client: not sent with the DELETE that ends its session. */
const NOT_FOR_DELETE = new Set(['content-type', 'mcp-method', 'mcp-name', 'last-event-id', 'mcp-session-id']);

/** The headers of a client's request that the upstream needs to accept a DELETE of its session (Authorization, cookies, protocol version). */
export function sessionHeaders(passed: OutgoingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(passed).filter(([name]) => !NOT_FOR_DELETE.has(name.toLowerCase())));
}

/**
 * Ends upstream sessions that the proxy has ended on its own (a refused
 * session, an idle one) and whose client will never send the DELETE: left
 * open, each would hold its state on the upstream until the upstream's own
 * timeout, if it has one. Best effort, never awaited by a client's answer;
 * a failure is one line on stderr.
 */
export class UpstreamSessionEnder {
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly upstream: Upstream,
    private readonly timeoutMs = 10_000,
  ) {}

  end(sessionId: string, headers: OutgoingHttpHeaders, why: string): void {
    const sent = this.send(sessionId, headers).catch((error: unknown) => {
      const cause = error instanceof Error ? error.message : String(error);
      process.stderr.write(`mcp-audit proxy: could not end the upstream session ${sessionId} (${why}): ${cause}\n`);
    });
    this.sending.add(sent);
    void sent.then(() => this.sending.delete(sent));
  }

  /** Resolves once every DELETE sent so far is answered or has failed (each is bounded by the timeout). */
  async settled(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  private async send(sessionId: string, headers: OutgoingHttpHeaders): Promise<void> {
    const response = await this.upstream.request('DELETE', { ...headers, 'Mcp-Session-Id': sessionId }, null, AbortSignal.timeout(this.timeoutMs));
    response.resume();
    const status = response.statusCode ?? 0;
    // 404: the upstream had already forgotten it, which is what the DELETE asks for.
    if ((status >= 200 && status < 300) || status === 404) return;
    throw new UpstreamFailure(
      502,
      `the upstream answered the DELETE with HTTP ${status}${status === 405 ? ' (it does not let clients end sessions)' : ''}`,
    );
  }
}
