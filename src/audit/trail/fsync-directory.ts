import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Makes the entries of `path` (names created, removed or renamed in it) durable: fdatasync of a file does not. */
export function fsyncDirectory(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
