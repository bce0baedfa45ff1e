import { test } from 'node:test';
import assert from 'node:assert/strict';
import items from '../../src/helpdesk/data/inventory.json' with { type: 'json' };
import { InventoryCatalog, type InventoryItem } from '../../src/helpdesk/inventory.js';

const catalog = InventoryCatalog.load();

test('shipped inventory is well formed', () => {
  const statuses = new Set(['in_stock', 'assigned', 'repair', 'retired']);
  assert.ok(items.length >= 25);
  assert.equal(new Set(items.map((item) => item.id)).size, items.length, 'ids are unique');
  for (const item of items) {
    assert.match(item.id, /^INV-\d{4}$/);
    assert.ok(statuses.has(item.status), `${item.id} has status ${item.status}`);
    assert.ok(Number.isInteger(item.quantity) && item.quantity >= 0);
  }
  const count = (category: string) => items.filter((item) => item.category === category).length;
  assert.ok(count('monitor') >= 3);
  assert.ok(count('laptop') >= 3);
  assert.ok(count('printer') >= 2);
});

test('a typo still finds monitors', () => {
  const results = catalog.search('moniter');
  assert.ok(results.length >= 3);
  assert.ok(results.every((item) => item.category === 'monitor'));
});

test('multi-word queries match words independently, best match first', () => {
  assert.equal(catalog.search('lenovo dock')[0]?.id, 'INV-0011');
  assert.equal(catalog.search('wireless mouse')[0]?.name, 'Logitech M185 Wireless Mouse');
  assert.equal(catalog.search('keybaord')[0]?.category, 'keyboard');
});

test('an exact id ranks first', () => {
  assert.equal(catalog.search('INV-0020')[0]?.id, 'INV-0020');
});

test('no match and blank queries return nothing', () => {
  assert.deepEqual(catalog.search('xyzzyqq'), []);
  assert.deepEqual(catalog.search(''), []);
  assert.deepEqual(catalog.search('   '), []);
});

test('limit caps the number of results', () => {
  assert.equal(catalog.search('monitor', 2).length, 2);
  assert.equal(catalog.search('monitor', 2)[0]?.category, 'monitor');
});

test('the constructor searches the items it is given', () => {
  const own: InventoryItem[] = [
    { id: 'X-1', name: 'Label Printer', category: 'printer', location: 'Lab', status: 'in_stock', quantity: 1, tags: [] },
    { id: 'X-2', name: 'Spare Printer Toner', category: 'printer', location: 'Lab', status: 'in_stock', quantity: 4, tags: ['consumable'] },
  ];
  const small = new InventoryCatalog(own);
  assert.deepEqual(
    small.search('label printer').map((item) => item.id),
    ['X-1', 'X-2'],
  );
  assert.deepEqual(small.search('monitor'), []);
});
