import {
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import type { Knex } from 'knex';
import {
  isConnectFailure,
  isConnectionLost,
  isSerializationFailure,
  isUnavailable,
  toDomainError,
} from './database-errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ResilienceSettings {
  /** Failed attempts in a row, whoever made them, after which the breaker opens. */
  breakerThreshold: number;
  /** How long the open breaker refuses every call before it lets one probe through. */
  halfOpenAfterMs: number;
  /** Further attempts after the first, for work that may safely run again. */
  retries: number;
  /** The jittered exponential back-off between attempts starts near this and is capped at maxDelayMs. */
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  breakerThreshold: 5,
  halfOpenAfterMs: 3_000,
  retries: 2,
  retryInitialDelayMs: 50,
  retryMaxDelayMs: 500,
};

type ErrorPredicate = (error: Error) => boolean;

/** Running a read again returns the same answer, so any transient failure may be retried. */
const transient: ErrorPredicate = (error) =>
  isSerializationFailure(error) || isConnectFailure(error) || isConnectionLost(error);

/** A lost connection proves nothing about a write (it may have committed), so it is not retried. */
const certainlyWithoutEffect: ErrorPredicate = (error) =>
  isSerializationFailure(error) || isConnectFailure(error);

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Every query of the API goes through here, on one of three paths that differ in what is retried.
 * All of them pass one circuit breaker per instance: once the database has failed
 * `breakerThreshold` attempts in a row, calls are answered with `db.unavailable` at once instead of
 * each waiting on a dead server, until a probe after `halfOpenAfterMs` finds it back.
 * Failures leave as the domain errors clients see (503 `db.unavailable`) or unchanged.
 */
export class ResilientDatabase {
  private readonly settings: ResilienceSettings;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly readPolicy: IPolicy;
  private readonly writePolicy: IPolicy;

  constructor(
    readonly knex: Knex,
    settings: Partial<ResilienceSettings> = {},
  ) {
    this.settings = { ...DEFAULT_RESILIENCE, ...settings };
    this.breaker = circuitBreaker(handleWhen(isUnavailable), {
      halfOpenAfter: this.settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.settings.breakerThreshold),
    });
    this.readPolicy = this.retryingWhen(transient);
    this.writePolicy = this.retryingWhen(certainlyWithoutEffect);
  }

  /** Reads, any number of statements: retried on serialization failures and refused or lost connections. */
  read<T>(query: (knex: Knex) => PromiseLike<T>): Promise<T> {
    return this.run(this.readPolicy, () => query(this.knex));
  }

  /**
   * One statement that changes data, outside a transaction: retried only when it certainly had no
   * effect (connecting failed, or PostgreSQL rolled it back for a serialization failure or deadlock).
   */
  write<T>(statement: (knex: Knex) => PromiseLike<T>): Promise<T> {
    return this.run(this.writePolicy, () => statement(this.knex));
  }

  /**
   * Runs `work` in a transaction, retried as a whole when PostgreSQL rolled it back for a
   * serialization failure or deadlock, or when the connection failed before the work began.
   * Inside, queries use `trx` directly: this wrapper classifies whatever they throw.
   */
  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    let began = false;
    const policy = this.retryingWhen(
      (error) =>
        isSerializationFailure(error) || (!began && (isConnectFailure(error) || isConnectionLost(error))),
    );
    return this.run(policy, () => {
      began = false;
      return this.knex.transaction((trx) => {
        // knex calls back even when BEGIN failed, with the transaction already completed.
        began = !trx.isCompleted();
        return work(trx);
      });
    });
  }

  get breakerState(): BreakerState {
    return BREAKER_STATES[this.breaker.state];
  }

  onBreakerStateChange(listener: (state: BreakerState) => void): void {
    this.breaker.onStateChange((state) => listener(BREAKER_STATES[state]));
  }

  /** Retries outside the breaker: each attempt counts, and an open breaker ends the retrying at once. */
  private retryingWhen(predicate: ErrorPredicate): IPolicy {
    const { retries, retryInitialDelayMs, retryMaxDelayMs } = this.settings;
    const retrying = retry(handleWhen(predicate), {
      maxAttempts: retries,
      backoff: new ExponentialBackoff({ initialDelay: retryInitialDelayMs, maxDelay: retryMaxDelayMs }),
    });
    return wrap(retrying, this.breaker);
  }

  private async run<T>(policy: IPolicy, attempt: () => PromiseLike<T>): Promise<T> {
    try {
      return await policy.execute(attempt);
    } catch (error) {
      throw toDomainError(error);
    }
  }
}
