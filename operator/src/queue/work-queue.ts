import { ItemBackoff } from './item-backoff.js';
import { TokenBucket } from './token-bucket.js';

/** What a reconcile asks for: nothing (done), or another pass after a while (timed work). */
export type ReconcileOutcome = undefined | { requeueAfterMs: number };

/**
 * A reconcile that asks for nothing may simply return. `signal` aborts when the pass outlives the
 * queue's timeout: every request the pass makes must carry it.
 */
type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileOutcome> | Promise<void>;

export interface WorkQueueOptions {
  /** Keys reconciled at the same time; one key is never reconciled twice at once. */
  concurrency: number;
  /**
   * A pass taking longer is aborted through its signal and fails. Its key stays busy until the pass
   * has settled, so an abandoned pass never overlaps the next one (default: no limit).
   */
  timeoutMs?: number;
  /** Per-key back-off after failures (client-go: 5 ms doubling to 1000 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** Global limit on retries (client-go: 10 per second, bursts of 100). */
  bucket?: { ratePerSecond: number; burst: number };
  /** Told of what happens, for metrics and logs. */
  observer?: WorkQueueObserver;
}

export interface WorkQueueObserver {
  added?(key: string): void;
  /** A key waited `seconds` in the queue before a worker took it. */
  started?(key: string, queuedSeconds: number): void;
  finished?(
    key: string,
    workSeconds: number,
    outcome: 'success' | 'requeue_after' | 'error',
    error?: unknown,
  ): void;
  retried?(key: string, delayMs: number): void;
}

/**
 * The controller's work queue, with controller-runtime's guarantees: a key is queued at most once
 * however often it is added; a key added while it is being reconciled is reconciled again right
 * after (nothing is lost); failures back off per key and are bounded globally; `requeueAfterMs`
 * schedules timed work; at most `concurrency` reconciles run at once.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Added again while being processed: goes back in the queue when that pass ends. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  /** Keys waiting out their back-off after a failure. */
  private readonly retrying = new Set<string>();
  private readonly backoff: ItemBackoff<string>;
  private readonly bucket: TokenBucket;
  private running = 0;
  private stopping = false;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly reconcile: Reconcile,
    private readonly options: WorkQueueOptions,
  ) {
    this.backoff = new ItemBackoff(options.backoff?.baseMs ?? 5, options.backoff?.maxMs ?? 1_000_000);
    this.bucket = new TokenBucket(options.bucket?.ratePerSecond ?? 10, options.bucket?.burst ?? 100);
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Nothing queued, running or waiting for a retry (work scheduled with requeueAfter does not count). */
  get idle(): boolean {
    return this.queue.length === 0 && this.running === 0 && this.retrying.size === 0;
  }

  add(key: string): void {
    if (this.stopping) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.set(key, performance.now());
    this.queue.push(key);
    this.options.observer?.added?.(key);
    this.pump();
  }

  /** Adds `key` after `delayMs`; of two pending delays for one key, the sooner wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const dueAt = performance.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.dueAt <= dueAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.retrying.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { timer, dueAt });
  }

  /** Stops taking work and waits (up to `timeoutMs`) for the reconciles in flight. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.retrying.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.running === 0) return;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.onIdle = resolve;
      }),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
  }

  private pump(): void {
    while (!this.stopping && this.running < this.options.concurrency && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      const queuedAt = this.queued.get(key) as number;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      this.options.observer?.started?.(key, (performance.now() - queuedAt) / 1000);
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const { timeoutMs } = this.options;
    const signal = timeoutMs === undefined ? new AbortController().signal : AbortSignal.timeout(timeoutMs);
    try {
      const outcome = (await this.reconcile(key, signal)) as ReconcileOutcome;
      // Past its deadline a pass has failed, even one that went on regardless and finished.
      signal.throwIfAborted();
      this.backoff.forget(key);
      this.options.observer?.finished?.(key, seconds(), outcome ? 'requeue_after' : 'success');
      if (outcome) this.addAfter(key, outcome.requeueAfterMs);
    } catch (error) {
      // Never lost: the error is reported and the key retried after its back-off. An aborted
      // request's own error says only that it was aborted; the timeout says why.
      const cause = signal.aborted
        ? new Error(`reconcile of ${key} took longer than ${timeoutMs} ms`)
        : error;
      this.options.observer?.finished?.(key, seconds(), 'error', cause);
      const delay = Math.max(this.backoff.next(key), this.bucket.reserve());
      this.options.observer?.retried?.(key, delay);
      this.addAfter(key, delay);
      if (this.timers.has(key)) this.retrying.add(key);
    } finally {
      this.processing.delete(key);
      this.running--;
      if (this.dirty.delete(key)) this.add(key);
      if (this.running === 0 && this.stopping) this.onIdle?.();
      this.pump();
    }
  }
}
