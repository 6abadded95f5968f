/** The nearest-rank `p`th percentile: the smallest value with at least `p` per cent at or below it; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Durations in milliseconds as a test logs them: median, 90th percentile and worst. */
export function summariseLatencies(ms: number[]): string {
  return (
    `p50 ${percentile(ms, 50).toFixed(1)} ms, p90 ${percentile(ms, 90).toFixed(1)} ms, ` +
    `max ${Math.max(...ms).toFixed(1)} ms`
  );
}
