import type { ServerResponse } from 'node:http';

/** Stops one exchange at shutdown; resolves once its client has had its answer (or is gone). */
export type StopExchange = (reason: string) => Promise<void>;

/**
 * The exchanges still waiting on the upstream, so that a proxy shutting
 * down can record each of their requests as failed because of it (not as
 * cancelled by a client that did nothing) and answer them with a JSON-RPC
 * error before the connections close.
 */
export class InFlightExchanges {
  private readonly open = new Set<StopExchange>();

  /** Registers an exchange until the returned function is called. */
  add(stop: StopExchange): () => void {
    this.open.add(stop);
    return () => void this.open.delete(stop);
  }

  async stopAll(reason: string): Promise<void> {
    const stopping = [...this.open];
    this.open.clear();
    await Promise.all(stopping.map((stop) => stop(reason)));
  }
}

/** Resolves once the response is handed to the socket or the socket is gone, so that closing the connection loses none of it. */
export function sent(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
}
