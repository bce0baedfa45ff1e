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
  // Unicode that NFKC or a path normaliser reads as a dot or a slash.
  'fullwidth dots and slash': '\uff0e\uff0e\uff0fetc\uff0fpasswd',
  'fullwidth reverse solidus': '..\uff3cwindows',
  'one-dot leaders': '\u2024\u2024/etc',
  'two-dot leader': '\u2025/etc/passwd',
  'small full stops': '\ufe52\ufe52/etc',
  'fraction slash': '..\u2044etc\u2044passwd',
  'division slash': '..\u2215etc',
  'big solidus': '..\u29f8etc',
  'set minus as backslash': '..\u2216windows',
  'small reverse solidus': '..\ufe68windows',
  'ideographic full stops': '\u3002\u3002/etc',
  'halfwidth ideographic full stops': '\uff61\uff61/etc',
  'fullwidth solidus, absolute': '\uff0fetc\uff0fpasswd',
  // Percent-encoding, any number of rounds, UTF-8 and IIS forms.
  'triple-encoded traversal': '%25252e%25252e%25252fetc',
  'encoded fullwidth dots (UTF-8)': '%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc',
  'overlong UTF-8 dot': '%c0%ae%c0%ae/etc',
  'overlong UTF-8 slash': '..%c0%afetc',
  'IIS %u escapes': '%u002e%u002e%u2215etc',
  'fullwidth percent escapes': '\uff05\uff12\uff45\uff05\uff12\uff45/etc',
  'encoded twelve times over': `%${'25'.repeat(11)}2e%${'25'.repeat(11)}2e/etc`,
  'encoded five times over': `%${'25'.repeat(4)}2e%${'25'.repeat(4)}2e%${'25'.repeat(4)}2fetc`,
  // URL schemes.
  'file URL': 'file:///etc/passwd',
  'file URL, upper case': 'FILE://C:/Windows/win.ini',
  'file scheme without slashes': 'file:etc/passwd',
  'SMB URL': 'smb://fileserver/share',
  'SMB scheme without slashes': 'smb:fileserver',
  'any scheme with //': 'gopher://127.0.0.1:70/',
  'encoded file URL': 'file%3A%2F%2F%2Fetc%2Fpasswd',
  // Home directories.
  '~user alone': '~root',
  '~user with a path': '~kim/.ssh/id_rsa',
  '~user, windows separator': '~admin\\Desktop',
  'bare ~': '~',
  // Dot segments with what normalisers ignore or strip.
  'four dots (filter bypass)': '....//....//etc/passwd',
  'three dots': '.../etc',
  'dots and a trailing space (Windows)': '.. /etc',
  'dot, space, dot': '. ./etc',
  'path parameter (Tomcat)': '..;/etc',
  'zero-width space between the dots': '.\u200b./etc',
  'soft hyphen between the dots': '.\u00ad./etc',
  'combining mark on a dot': '.\u0301./etc',
  'variation selector after a dot': '.\ufe0f./etc',
  // What comes before the traversal.
  'leading spaces': '   ../../etc/passwd',
  'leading ideographic space': '\u3000/etc/passwd',
  'leading no-break space': '\u00a0/etc/passwd',
  'leading zero-width space': '\u200b/etc/passwd',
  'leading BOM': '\ufeff../etc',
  'leading encoded tab': '%09../etc',
  'leading backslash': '\\windows\\win.ini',
  'bidi override': 'monitor\u202e',
  'encoded bidi override': 'monitor%E2%80%AE',
  'line separator': 'dock\u2028injected',
  'encoded zero-width joiner before a slash': '%E2%80%8D/etc/passwd',
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
  // Dots, slashes and tildes where products put them.
  'v2.1',
  'firmware v2.1.3 for the dock',
  'USB-C / HDMI',
  'USB-C/HDMI adapter',
  '27" monitor',
  '24" / 27" monitors',
  '~5 kg laptop',
  '~ 5 kg',
  'approx ~3.5 m cable',
  'Dell P2419H ... any left?',
  'Dr. Kim / Mr. Lee',
  'AC/DC adapter 19.5V',
  'Wi-Fi 6E: 2.4/5/6 GHz',
  'file: printer jam report',
  'USB-C: which cable?',
  'http status 404 / 500',
  'tilde~in~name',
  '50% off / 2-for-1',
  'cafe\u0301 headset',
  'emoji 👩\u200d💻 laptop',
  '１２３ fullwidth digits',
  'ellipsis… in text',
];

for (const query of accepted) {
  test(`accepts ordinary query ${JSON.stringify(query)}`, () => {
    assert.doesNotThrow(() => assertSafeQuery(query));
  });
}
