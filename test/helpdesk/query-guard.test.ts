import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertSafeQuery } from '../../src/helpdesk/query-guard.js';

const rejected = {
  'parent segment (unix)': '../etc/passwd',
  'parent segment (windows)': '..\\windows',
  'parent segment mid-path': 'foo/../bar',
  'bare parent segment': '..',
  'trailing parent segment': 'foo/..',
  'encoded traversal': '%2e%2e%2f',
  'encoded traversal, upper case': '%2E%2E%2F',
  'encoded dots, literal slash': '%2e%2e/',
  'literal dots, encoded slash': '..%2f',
  'encoded backslash': '..%5cwindows',
  'double-encoded dots': '%252e%252e',
  'double-encoded traversal': '%252e%252e%252fetc',
  'absolute unix path': '/etc/passwd',
  'encoded absolute path': '%2fetc%2fpasswd',
  'drive letter, backslash': 'C:\\',
  'drive letter, slash': 'c:/windows',
  'UNC path': '\\\\server\\share',
  'home directory': '~/.ssh/id_rsa',
  NUL: 'monitor\u0000',
  'encoded NUL': 'monitor%00',
  tab: 'usb\tdock',
  CR: 'dock\r',
  LF: 'dock\ninjected log line',
  'other C0': '\u001b[31m',
  DEL: 'dock\u007f',
  'C1 (first)': '\u0080',
  'C1 (NEL)': 'dock\u0085',
  'C1 (last)': '\u009f',
};

for (const [form, query] of Object.entries(rejected)) {
  test(`rejects ${form}: ${JSON.stringify(query)}`, () => {
    assert.throws(() => assertSafeQuery(query), { message: 'Invalid query' });
  });
}

const accepted = [
  'monitor',
  'USB-C dock',
  '27" 4K',
  'HDMI/DisplayPort cable',
  'password policy',
  'v1.2 firmware',
  'moniter',
  'INV-0001',
  'wait...',
  '100% cotton mouse mat',
  'C: drive full',
  'café headset',
  '',
];

for (const query of accepted) {
  test(`accepts ordinary query ${JSON.stringify(query)}`, () => {
    assert.doesNotThrow(() => assertSafeQuery(query));
  });
}
