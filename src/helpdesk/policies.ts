import policies from './data/policies.json' with { type: 'json' };
import { FuzzyIndex } from './fuzzy-index.js';

export interface PolicyDocument {
  id: string;
  title: string;
  category: string;
  summary: string;
  body: string;
}

/** The policy documents: bodies are long and mention many topics in passing, so they count for less. */
export class PolicyLibrary extends FuzzyIndex<PolicyDocument> {
  constructor(documents: readonly PolicyDocument[]) {
    super(
      documents,
      [
        { name: 'title', weight: 3 },
        { name: 'category', weight: 2 },
        { name: 'summary', weight: 2 },
        { name: 'body', weight: 1 },
      ],
      5,
    );
  }

  static load(): PolicyLibrary {
    return new PolicyLibrary(policies);
  }
}
