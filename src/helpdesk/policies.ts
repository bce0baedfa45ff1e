import Fuse from 'fuse.js';
import policies from './data/policies.json' with { type: 'json' };

export interface PolicyDocument {
  id: string;
  title: string;
  category: string;
  summary: string;
  body: string;
}

export class PolicyLibrary {
  private readonly fuse: Fuse<PolicyDocument>;

  constructor(documents: readonly PolicyDocument[]) {
    this.fuse = new Fuse(documents, {
      keys: [
        { name: 'title', weight: 3 },
        { name: 'category', weight: 2 },
        { name: 'summary', weight: 2 },
        // Bodies are long and mention many topics in passing, so they count for less.
        { name: 'body', weight: 1 },
      ],
      // Per-word fuzzy matching: "install software" and "pasword polcy" find their policy.
      useTokenSearch: true,
      threshold: 0.3,
      // Words deep in a body must match. Token search already ignores location; this keeps
      // that true should token search ever be switched off.
      ignoreLocation: true,
    });
  }

  static load(): PolicyLibrary {
    return new PolicyLibrary(policies);
  }

  /** Fuzzy (typo-tolerant) search, best match first. */
  search(query: string, limit = 5): PolicyDocument[] {
    // Fuse returns every record for a blank query; nothing was asked for, so nothing matches.
    if (query.trim() === '') return [];
    return this.fuse.search(query, { limit }).map((result) => result.item);
  }
}
