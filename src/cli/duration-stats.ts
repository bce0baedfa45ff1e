/**
 * Per-group call statistics with exact percentiles. Exact needs every
 * duration: 8 bytes per record in a growable Float64Array, against the
 * ~300–500 bytes each record takes on disk, i.e. about 2% of the trail's
 * size, and exact figures agree with a sort-based jq recipe to the last
 * digit, which a sketch (t-digest, HDR) would not.
 */
export class DurationSeries {
  private values = new Float64Array(64);
  private count = 0;
  private total = 0;

  add(value: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = value;
    this.total += value;
  }

  get size(): number {
    return this.count;
  }

  get mean(): number | null {
    return this.count === 0 ? null : this.total / this.count;
  }

  /** Nearest-rank percentiles (the smallest value with at least p% of values at or below it). */
  percentiles(ps: readonly number[]): Array<number | null> {
    if (this.count === 0) return ps.map(() => null);
    const sorted = this.values.slice(0, this.count).sort();
    return ps.map((p) => sorted[Math.max(0, Math.ceil((p / 100) * this.count) - 1)]!);
  }
}
