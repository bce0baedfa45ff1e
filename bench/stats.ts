/** Order statistics over repeated measurements; every figure in the report comes through here. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  return ordered[Math.min(ordered.length - 1, Math.max(0, Math.ceil(q * ordered.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export interface Spread {
  min: number;
  median: number;
}

export function spread(values: readonly number[]): Spread {
  return { min: min(values), median: median(values) };
}

export interface Range extends Spread {
  max: number;
}

/** For figures judged on few repetitions, where the whole span matters as much as the middle. */
export function range(values: readonly number[]): Range {
  return { ...spread(values), max: values.length === 0 ? Number.NaN : Math.max(...values) };
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** `1.07× (min 1.02×)`: a ratio's median first, since that is what targets are judged on. */
export function ratioText({ min, median }: Spread): string {
  return `${fixed(median)}× (min ${fixed(min)}×)`;
}

/** `1.07× (min 0.91×, max 1.30×)`, or `1.07×` for a single value. */
export function rangeText({ min, median, max }: Range): string {
  return min === max ? `${fixed(median)}×` : `${fixed(median)}× (min ${fixed(min)}×, max ${fixed(max)}×)`;
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Rounds measured in pairs (the same round, before and after a change): the mean difference after − before, its standard error, and how many rounds the change made faster. */
export interface PairedDifference {
  mean: number;
  standardError: number;
  faster: number;
  rounds: number;
}

export function pairedDifference(before: readonly number[], after: readonly number[]): PairedDifference {
  if (before.length !== after.length || before.length < 2) throw new Error('paired rounds: two lists of the same length, at least 2');
  const differences = after.map((value, index) => value - before[index]!);
  const mean = differences.reduce((sum, value) => sum + value, 0) / differences.length;
  const variance = differences.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (differences.length - 1);
  return {
    mean,
    standardError: Math.sqrt(variance / differences.length),
    faster: differences.filter((value) => value < 0).length,
    rounds: differences.length,
  };
}
