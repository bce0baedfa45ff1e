import Fuse, { type FuseOptionKey } from 'fuse.js';

/**
 * Typo-tolerant search over a fixed set of records, best match first. Each
 * query word is matched on its own (token search), so "lenovo dock" finds the
 * Lenovo dock and "keybaord" still finds keyboards; records matching more,
 * and rarer, words rank first.
 */
export class FuzzyIndex<T> {
  private readonly fuse: Fuse<T>;

  constructor(
    records: readonly T[],
    keys: FuseOptionKey<T>[],
    private readonly defaultLimit: number,
  ) {
    // Token search ignores where in a field a word occurs, so words deep in long text match too.
    this.fuse = new Fuse(records, { keys, useTokenSearch: true, threshold: 0.3 });
  }

  search(query: string, limit = this.defaultLimit): T[] {
    // Fuse returns every record for a blank query; nothing was asked for, so nothing matches.
    if (query.trim() === '') return [];
    return this.fuse.search(query, { limit }).map((result) => result.item);
  }
}
