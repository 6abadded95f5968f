import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Database } from './connect.js';
import { isUnavailable } from './database-errors.js';

export interface StartupWait {
  /** Start-up gives up at the first failure after this long. */
  timeoutMs: number;
  /** The jittered exponential back-off between attempts starts near this and is capped at maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  onRetry?: (retry: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_STARTUP_WAIT: StartupWait = {
  timeoutMs: 30_000,
  initialDelayMs: 250,
  maxDelayMs: 4_000,
};

export class DatabaseUnreachableError extends Error {
  constructor(location: string, waitedMs: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `the database at ${location} is still unreachable after ${(waitedMs / 1000).toFixed(1)} s: ${reason}`,
      {
        cause,
      },
    );
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * Resolves once the database answers. After a deploy or a node restart the API may well start
 * before PostgreSQL accepts connections, so unavailability is waited out with back-off; anything
 * else (a wrong password, a missing database) will not fix itself and fails at once.
 */
export async function waitForDatabase(
  { knex, location }: Pick<Database, 'knex' | 'location'>,
  options: Partial<StartupWait> = {},
): Promise<void> {
  const { timeoutMs, initialDelayMs, maxDelayMs, onRetry } = { ...DEFAULT_STARTUP_WAIT, ...options };
  const policy = retry(handleWhen(isUnavailable), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
  });
  if (onRetry) {
    policy.onRetry((event) =>
      onRetry({
        attempt: event.attempt,
        delayMs: event.delay,
        error: 'error' in event ? event.error : undefined,
      }),
    );
  }
  const started = Date.now();
  try {
    // The retry policy stops retrying once this signal has fired.
    await policy.execute(() => knex.raw('select 1'), AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (!isUnavailable(error)) throw error;
    throw new DatabaseUnreachableError(location, Date.now() - started, error);
  }
}
