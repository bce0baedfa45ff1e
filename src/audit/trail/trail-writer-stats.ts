/**
 * What the writer counts, each counter kept by the part that does the work (committer, fsync, head, lock
 * lease). A leaf, so that those parts need not import the writer that owns them.
 * `lockHandovers`: times it let the lock go because another process noted that it waits.
 */
export interface TrailWriterStats {
  commits: number;
  writes: number;
  syncs: number;
  headWrites: number;
  fileChecks: number;
  locksTaken: number;
  lockWaits: number;
  lockHandovers: number;
  /** Idle spells through which it kept the lock (no other process asked for it), instead of letting it go. */
  idleHolds: number;
  /** Times the lock was found taken over as stale after this process froze while holding it. */
  leasesLost: number;
}
