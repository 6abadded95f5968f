import type { Knex } from 'knex';
import { isRetryable, toDomainError } from './database-errors.js';

export interface TransactionOptions {
  attempts?: number;
  /** Waits between attempts; injected so tests need not sleep. */
  backoff?: (attempt: number) => Promise<void>;
}

const jitteredBackoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));

/**
 * Runs `work` in a transaction, running it again from the start when PostgreSQL aborted it for a
 * serialization failure or a deadlock, and turning connection failures into a 503.
 */
export async function inTransaction<T>(
  knex: Knex,
  work: (trx: Knex.Transaction) => Promise<T>,
  { attempts = 3, backoff = jitteredBackoff }: TransactionOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await knex.transaction(work);
    } catch (error) {
      if (attempt < attempts && isRetryable(error)) {
        await backoff(attempt);
        continue;
      }
      throw toDomainError(error);
    }
  }
}
