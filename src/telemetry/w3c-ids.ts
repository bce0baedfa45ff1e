import { randomFillSync } from 'node:crypto';

// A pool of random bytes, refilled once 6 KiB of ids are drawn from it: the SDK makes one Math.random call per 4 bytes of id.
const POOL = Buffer.alloc(24 * 256);
let offset = POOL.length;
const ALL_ZEROS = { 8: '0'.repeat(16), 16: '0'.repeat(32) };

/** `bytes` random bytes in lowercase hex, never all zeros (W3C Trace Context: an invalid id). */
function randomId(bytes: 8 | 16): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const id = POOL.toString('hex', offset, (offset += bytes));
  return id === ALL_ZEROS[bytes] ? randomId(bytes) : id;
}

export const newTraceId = (): string => randomId(16);
export const newSpanId = (): string => randomId(8);
