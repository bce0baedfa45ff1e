import items from './data/inventory.json' with { type: 'json' };
import { FuzzyIndex } from './fuzzy-index.js';

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

/** The inventory: matched by name first, then category and id, then tags and location. */
export class InventoryCatalog extends FuzzyIndex<InventoryItem> {
  constructor(items: readonly InventoryItem[]) {
    super(
      items,
      [
        { name: 'name', weight: 3 },
        { name: 'category', weight: 2 },
        { name: 'id', weight: 2 },
        { name: 'tags', weight: 1 },
        { name: 'location', weight: 1 },
      ],
      10,
    );
  }

  /** The catalogue shipped with the server. The JSON's literal types widen to string; the tests check its values. */
  static load(): InventoryCatalog {
    return new InventoryCatalog(items as InventoryItem[]);
  }
}
