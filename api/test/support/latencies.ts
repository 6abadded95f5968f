/** The value below which `p` per cent of `values` lie (nearest rank); NaN for none. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Durations in milliseconds as a test logs them: median, 90th percentile and worst. */
export function summariseLatencies(ms: number[]): string {
  return (
    `p50 ${percentile(ms, 50).toFixed(1)} ms, p90 ${percentile(ms, 90).toFixed(1)} ms, ` +
    `max ${Math.max(...ms).toFixed(1)} ms`
  );
}
