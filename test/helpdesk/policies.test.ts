import { test } from 'node:test';
import assert from 'node:assert/strict';
import documents from '../../src/helpdesk/data/policies.json' with { type: 'json' };
import { PolicyLibrary } from '../../src/helpdesk/policies.js';

const library = PolicyLibrary.load();

test('shipped policies are well formed', () => {
  assert.ok(documents.length >= 8);
  assert.equal(new Set(documents.map((doc) => doc.id)).size, documents.length, 'ids are unique');
  for (const doc of documents) {
    assert.match(doc.id, /^POL-\d{3}$/);
    for (const field of [doc.title, doc.category, doc.summary, doc.body]) assert.ok(field.length > 0);
  }
});

test('finds a policy by title', () => {
  assert.equal(library.search('password policy')[0]?.id, 'POL-001');
  assert.equal(library.search('VPN')[0]?.id, 'POL-002');
});

test('a typo still finds the policy', () => {
  assert.equal(library.search('pasword')[0]?.id, 'POL-001');
  assert.equal(library.search('retension')[0]?.id, 'POL-005');
});

test('words deep in a body match', () => {
  assert.equal(library.search('GlobalProtect')[0]?.id, 'POL-002');
  assert.equal(library.search('legal hold')[0]?.id, 'POL-005');
});

test('title matches rank above passing mentions in bodies', () => {
  const results = library.search('software installation');
  assert.equal(results[0]?.id, 'POL-007');
});

test('no match and blank queries return nothing', () => {
  assert.deepEqual(library.search('xyzzyqq'), []);
  assert.deepEqual(library.search(''), []);
});

test('limit defaults to 5 and can be lowered', () => {
  assert.equal(library.search('policy').length, 5);
  assert.equal(library.search('policy', 2).length, 2);
});
