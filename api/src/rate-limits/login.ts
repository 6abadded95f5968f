import { accountKey, ipAndEmailKey } from './keys.js';
import type { Limit, RateLimitScope } from './limit.js';
import { type Backoff, backoffSeconds } from './policy.js';
import { type RateLimitHeaders, rateLimitExceeded } from './rate-limit-error.js';
import type { Counter } from './store.js';

/** One login attempt that passed the limits; settle it once the password has been checked. */
export interface LoginAttempt {
  /** RateLimit-* headers for the login answer: the per address-and-email window. */
  readonly headers: RateLimitHeaders;
  /** The credentials were right: forgets the failures, so the next typo starts from zero. */
  succeeded(): Promise<void>;
  /** The credentials were wrong, whether or not the account exists: lengthens the back-off. */
  failed(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Call before checking the password. Throws the 429 while the account is in back-off or a window
   * is used up. The attempt is counted before the password is checked, with atomic increments, so
   * parallel guesses cannot all slip past a check that only reads; a success refunds it. An
   * attempt never settled (a crash, a forgotten call) therefore still counts, erring on the side
   * of limiting. Only the first settlement of an attempt has any effect.
   */
  begin(ip: string, email: string): Promise<LoginAttempt>;
}

export interface LoginLimiters {
  perIpAndEmail: Limit;
  /** The hard cap on failures per account. */
  perAccount: Limit;
  /** Counts consecutive failures per account. */
  failures: Counter;
  /** Holds the current back-off block per account. */
  blocks: Counter;
  backoff: Backoff;
  onLimited: (scope: RateLimitScope) => void;
}

export function loginThrottle(limiters: LoginLimiters): LoginThrottle {
  const { perIpAndEmail, perAccount, failures, blocks, backoff, onLimited } = limiters;
  return {
    async begin(ip, email) {
      const account = accountKey(email);
      const pair = ipAndEmailKey(ip, email);
      // Attempts during a block are refused before they count, so hammering a blocked account
      // cannot also use up its hourly allowance and lock the owner out for the hour.
      const block = await blocks.get(account);
      if (block !== null && block.msBeforeNext > 0) {
        onLimited('login_backoff');
        throw rateLimitExceeded(perAccount.points, block.msBeforeNext);
      }
      const headers = await perIpAndEmail.consume(pair);
      await perAccount.consume(account);

      let settled = false;
      const settleOnce = (outcome: () => Promise<unknown>) => async () => {
        if (settled) return;
        settled = true;
        await outcome();
      };
      return {
        headers,
        succeeded: settleOnce(() =>
          Promise.all([
            perIpAndEmail.reset(pair),
            perAccount.refund(account),
            failures.delete(account),
            blocks.delete(account),
          ]),
        ),
        failed: settleOnce(async () => {
          const run = await failures.penalty(account);
          const seconds = backoffSeconds(run.consumedPoints, backoff);
          if (seconds > 0) await blocks.block(account, seconds);
        }),
      };
    },
  };
}
