/** A set of measurements (e.g. latencies in ms) and their percentiles. Keeps every value: benches here record ~10^5 at most. */
export class Samples {
  private values: number[] = [];
  private sorted = true;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    const last = this.values[this.values.length - 1];
    if (last !== undefined && value < last) this.sorted = false;
    this.values.push(value);
  }

  get count(): number {
    return this.values.length;
  }

  /** Nearest-rank percentile, p in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    const values = this.ordered();
    if (values.length === 0) return Number.NaN;
    const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * values.length);
    return values[Math.min(values.length - 1, Math.max(0, rank - 1))]!;
  }

  get min(): number {
    return this.values.length === 0 ? Number.NaN : this.ordered()[0]!;
  }

  get max(): number {
    const values = this.ordered();
    return values.length === 0 ? Number.NaN : values[values.length - 1]!;
  }

  get mean(): number {
    if (this.values.length === 0) return Number.NaN;
    let sum = 0;
    for (const v of this.values) sum += v;
    return sum / this.values.length;
  }

  /** How many values are greater than `limit`. */
  countAbove(limit: number): number {
    const values = this.ordered();
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid]! <= limit) lo = mid + 1;
      else hi = mid;
    }
    return values.length - lo;
  }

  private ordered(): number[] {
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return this.values;
  }
}

/** "12.3 ms", "1.23 s", "n/a". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 100) return `${ms.toFixed(0)} ms`;
  if (Math.abs(ms) >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** "p50 1.2 ms / p90 3.4 ms / p99 9.9 ms / max 20 ms". */
export function formatDistribution(samples: Samples, withMax = true): string {
  if (samples.count === 0) return "n/a (no samples)";
  const parts = [`p50 ${formatMs(samples.percentile(50))}`, `p90 ${formatMs(samples.percentile(90))}`, `p99 ${formatMs(samples.percentile(99))}`];
  if (withMax) parts.push(`max ${formatMs(samples.max)}`);
  return parts.join(" / ");
}
