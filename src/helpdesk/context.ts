import { InventoryCatalog } from './inventory.js';
import { PolicyLibrary } from './policies.js';
import { TicketStore } from './ticket-store.js';

/** What the help-desk tools work on: the shipped inventory and policies, and the tickets file. */
export interface HelpdeskContext {
  inventory: InventoryCatalog;
  policies: PolicyLibrary;
  tickets: TicketStore;
}

/** `dataDir` holds tickets.jsonl; it falls back to HELPDESK_DATA_DIR, then ./data. */
export function createHelpdeskContext(dataDir = process.env['HELPDESK_DATA_DIR'] || 'data'): HelpdeskContext {
  return { inventory: InventoryCatalog.load(), policies: PolicyLibrary.load(), tickets: new TicketStore(dataDir) };
}
