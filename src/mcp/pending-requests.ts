/**
 * The requests of one direction that await their response, keyed by the
 * id's exact JSON form (see `idKey`). A client that reuses an id while the
 * first request is still pending breaks the protocol; neither request is
 * lost: both are kept, in order, and responses are matched oldest first.
 */
export class PendingRequests<Entry> {
  private readonly byKey = new Map<string, Entry[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `entry`; true if a request with the same key was already pending. */
  add(key: string, entry: Entry): boolean {
    this.count++;
    const queue = this.byKey.get(key);
    if (queue) {
      queue.push(entry);
      return true;
    }
    this.byKey.set(key, [entry]);
    return false;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Removes and returns the oldest pending request with this key. */
  take(key: string): Entry | undefined {
    const queue = this.byKey.get(key);
    if (!queue) return undefined;
    const entry = queue.shift();
    if (queue.length === 0) this.byKey.delete(key);
    this.count--;
    return entry;
  }

  /** Removes and returns every pending request. */
  takeAll(): Entry[] {
    const all = [...this.byKey.values()].flat();
    this.byKey.clear();
    this.count = 0;
    return all;
  }
}
