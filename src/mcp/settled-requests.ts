/** Ids of settled requests whose answer may still come, kept for so many at most (oldest forgotten first). */
const SETTLED_KEPT = 4096;

/** What a response to no pending request is. */
export type UnmatchedResponse =
  /** The answer to a cancelled request, coming late: its record was written at the cancellation. */
  | 'late'
  /** An answer again to a request answered or abandoned (a resumed stream's replay): recorded already. */
  | 'repeated'
  /** An id no request that is still remembered had: the client may take it for another request's answer. */
  | 'stray';

/**
 * The requests of one connection that were settled (answered, abandoned,
 * cancelled), by the id's exact JSON form (`idKey`): a response with one of
 * those ids again is late or repeated, not stray. A cancelled request's
 * late answer may still come, so its id is not free again until it does.
 */
export class SettledRequests {
  /** Cancelled requests whose late answer has not come, with how many per key; oldest first (a Map keeps insertion order). */
  private readonly cancelled = new Map<string, number>();
  private readonly settled = new Set<string>();

  /** A request was answered or abandoned. */
  answered(key: string): void {
    this.settled.add(key);
    if (this.settled.size > SETTLED_KEPT) this.settled.delete(this.settled.values().next().value!);
  }

  /** A request was cancelled: its late answer may still come. */
  cancelledRequest(key: string): void {
    this.cancelled.set(key, (this.cancelled.get(key) ?? 0) + 1);
    if (this.cancelled.size > SETTLED_KEPT) this.cancelled.delete(this.cancelled.keys().next().value!);
  }

  /** A new request takes `key`: true if a cancelled request's late answer was still due under it (forgotten now). */
  reusesCancelled(key: string): boolean {
    return this.cancelled.delete(key);
  }

  /** Classifies a response whose id no pending request has; a late answer is counted off. */
  unmatched(key: string): UnmatchedResponse {
    const late = this.cancelled.get(key);
    if (late !== undefined) {
      if (late > 1) this.cancelled.set(key, late - 1);
      else this.cancelled.delete(key);
      return 'late';
    }
    return this.settled.has(key) ? 'repeated' : 'stray';
  }
}
