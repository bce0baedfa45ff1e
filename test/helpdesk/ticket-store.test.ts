import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TicketStore, type Ticket } from '../../src/helpdesk/ticket-store.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-'));
}

function fileLines(store: TicketStore): string[] {
  return fs
    .readFileSync(store.filePath, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

test('create then get round-trips a ticket', async () => {
  const store = new TicketStore(tempDir());
  const created = await store.create({ title: 'Monitor flickers', priority: 'P3', description: 'HDMI input only', requester: 'ana@example.com' });

  assert.match(created.id, /^TCK-[0-9A-F]{8}$/);
  assert.equal(created.status, 'open');
  assert.equal(new Date(created.created_at).toISOString(), created.created_at, 'ISO 8601 UTC');
  assert.deepEqual(await store.get(created.id), created);
});

test('optional fields are stored as null', async () => {
  const store = new TicketStore(tempDir());
  const created = await store.create({ title: 'VPN drops', priority: 'P2' });
  assert.equal(created.description, null);
  assert.equal(created.requester, null);
  assert.deepEqual(await store.get(created.id), created);
});

test('the file holds one JSON object per line', async () => {
  const dir = tempDir();
  const store = new TicketStore(dir);
  assert.equal(store.filePath, path.join(dir, 'tickets.jsonl'));
  const first = await store.create({ title: 'one', priority: 'P1' });
  const second = await store.create({ title: 'two', priority: 'P4' });

  const text = fs.readFileSync(store.filePath, 'utf8');
  assert.ok(text.endsWith('\n'));
  assert.deepEqual(
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line)),
    [first, second],
  );
});

test('200 concurrent creates lose nothing and get distinct ids', async () => {
  const store = new TicketStore(tempDir());
  const created = await Promise.all(Array.from({ length: 200 }, (_, i) => store.create({ title: `ticket ${i}`, priority: 'P3' })));

  assert.equal(new Set(created.map((ticket) => ticket.id)).size, 200);
  const stored = fileLines(store).map((line) => JSON.parse(line) as Ticket);
  assert.equal(stored.length, 200);
  assert.deepEqual(new Set(stored.map((ticket) => ticket.id)), new Set(created.map((ticket) => ticket.id)));
});

test('get of an unknown id is undefined, with or without a file', async () => {
  const store = new TicketStore(path.join(tempDir(), 'not-yet-created'));
  assert.equal(await store.get('TCK-00000000'), undefined);
  await store.create({ title: 'exists', priority: 'P4' });
  assert.equal(await store.get('TCK-00000000'), undefined);
});

test('get skips blank and unparseable lines', async () => {
  const store = new TicketStore(tempDir());
  const before = await store.create({ title: 'before', priority: 'P2' });
  fs.appendFileSync(store.filePath, '\n{"id": "TCK-TORN\nnot json\n');
  const after = await store.create({ title: 'after', priority: 'P2' });
  assert.deepEqual(await store.get(before.id), before);
  assert.deepEqual(await store.get(after.id), after);
});

test('two stores on one directory see each other’s tickets', async () => {
  const dir = tempDir();
  const a = new TicketStore(dir);
  const b = new TicketStore(dir);
  const fromA = await a.create({ title: 'from a', priority: 'P1' });
  const fromB = await b.create({ title: 'from b', priority: 'P2' });
  assert.deepEqual(await b.get(fromA.id), fromA);
  assert.deepEqual(await a.get(fromB.id), fromB);
});

test('the directory is created 0700 and the file 0600', { skip: process.platform === 'win32' }, async () => {
  const dir = path.join(tempDir(), 'nested', 'data');
  const store = new TicketStore(dir);
  await store.create({ title: 'private', priority: 'P3' });
  assert.equal(fs.statSync(store.filePath).mode & 0o777, 0o600);
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
});
