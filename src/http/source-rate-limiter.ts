import { isIPv6 } from 'node:net';

/** A token bucket: `capacity` tokens, refilled at `capacity` per minute. */
class Bucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.refilledAt = now;
  }

  /** Refills for the time gone by; true (and one token spent) if one was left. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again: this source has been quiet long enough to be forgotten. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) * this.capacity) / 60_000);
    this.refilledAt = now;
  }
}

/** Sources tracked one by one; past this, new sources share one bucket, so memory stays bounded. */
const MAX_SOURCES = 10_000;
const SHARED = '*';

/**
 * Allows `perMinute` events per source address (a burst of as many), and ten
 * times that across all sources, because one attacker can hold many
 * addresses. IPv6 addresses count by their /64, the block one host usually
 * gets.
 */
export class SourceRateLimiter {
  private readonly sources = new Map<string, Bucket>();
  private readonly overall: Bucket;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.overall = new Bucket(perMinute * 10, now());
  }

  allow(address: string | null): boolean {
    const now = this.now();
    const bucket = this.bucketFor(sourceKey(address), now);
    // Both must have room; the per-source one is asked first so that a source past its own limit does not spend the shared one.
    return bucket.take(now) && this.overall.take(now);
  }

  private bucketFor(key: string, now: number): Bucket {
    let bucket = this.sources.get(key);
    if (bucket) return bucket;
    if (this.sources.size >= MAX_SOURCES) {
      for (const [known, candidate] of this.sources) if (known !== SHARED && candidate.isFull(now)) this.sources.delete(known);
    }
    if (this.sources.size >= MAX_SOURCES) key = SHARED;
    bucket = this.sources.get(key) ?? new Bucket(this.perMinute, now);
    this.sources.set(key, bucket);
    return bucket;
  }
}

/** The address an event is counted under: IPv4 as is (also when mapped into IPv6), IPv6 by its /64. */
export function sourceKey(address: string | null): string {
  if (address === null || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const groups = [...head.split(':').filter(Boolean)];
  const tailGroups = tail.split(':').filter(Boolean);
  const full = address.includes('::') ? [...groups, ...Array<string>(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups] : groups;
  return `${full
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
