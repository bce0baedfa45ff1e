import Fuse from 'fuse.js';
import items from './data/inventory.json' with { type: 'json' };

export type InventoryCategory =
  | 'monitor'
  | 'laptop'
  | 'dock'
  | 'keyboard'
  | 'mouse'
  | 'headset'
  | 'printer'
  | 'network'
  | 'cable'
  | 'phone'
  | 'webcam'
  | 'storage';

export type InventoryStatus = 'in_stock' | 'assigned' | 'repair' | 'retired';

export interface InventoryItem {
  id: string;
  name: string;
  category: InventoryCategory;
  location: string;
  status: InventoryStatus;
  quantity: number;
  tags: string[];
}

export class InventoryCatalog {
  private readonly fuse: Fuse<InventoryItem>;

  constructor(items: readonly InventoryItem[]) {
    this.fuse = new Fuse(items, {
      keys: [
        { name: 'name', weight: 3 },
        { name: 'category', weight: 2 },
        { name: 'id', weight: 2 },
        { name: 'tags', weight: 1 },
        { name: 'location', weight: 1 },
      ],
      // Each query word is fuzzy-matched on its own, so "lenovo dock" finds the Lenovo dock and
      // "keybaord" still finds keyboards; records matching more (and rarer) words rank first.
      useTokenSearch: true,
      threshold: 0.3,
    });
  }

  /** The catalogue shipped with the server. The JSON's literal types widen to string; the tests check its values. */
  static load(): InventoryCatalog {
    return new InventoryCatalog(items as InventoryItem[]);
  }

  /** Fuzzy (typo-tolerant) search, best match first. */
  search(query: string, limit = 10): InventoryItem[] {
    // Fuse returns every record for a blank query; nothing was asked for, so nothing matches.
    if (query.trim() === '') return [];
    return this.fuse.search(query, { limit }).map((result) => result.item);
  }
}
