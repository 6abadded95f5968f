/**
 * Per-item exponential back-off (client-go's ItemExponentialFailureRateLimiter): each failure of
 * a key doubles its wait, from `baseMs` up to `maxMs`; a success forgets it.
 */
export class ItemBackoff<Key> {
  private readonly failures = new Map<Key, number>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Records one more failure of `key` and returns how long it must wait. */
  next(key: Key): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** failures);
  }

  retries(key: Key): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: Key): void {
    this.failures.delete(key);
  }
}
