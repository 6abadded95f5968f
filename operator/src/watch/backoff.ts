export interface BackoffOptions {
  /** The first delay. Default 100 ms. */
  initialMs?: number;
  /** The delay never exceeds this. Default 30 s. */
  maxMs?: number;
  /** Fraction of the delay added at random, 0..1 (0.2 → up to +20 %). Default 0.2. */
  jitter?: number;
  /** Source of randomness, for tests. Default Math.random. */
  random?: () => number;
}

/** Exponential back-off with jitter: initialMs, 2×, 4×, … capped at maxMs; reset() after a healthy period. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = Math.max(0, options.initialMs ?? 100);
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? 30_000);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the base delay (up to maxMs). */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.min(this.maxMs, Math.round(base * (1 + this.jitter * this.random())));
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
