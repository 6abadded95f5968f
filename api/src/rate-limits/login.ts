import { accountKey, clientAndAccountKey, ipKey, type PasswordClient } from './keys.js';
import type { Limit, RateLimitScope } from './limit.js';
import { type Backoff, backoffSeconds } from './policy.js';
import { type RateLimitHeaders, rateLimitExceeded } from './rate-limit-error.js';
import type { Counter } from './store.js';

/** One password attempt that passed the limits; settle it once the password has been checked. */
export interface LoginAttempt {
  /** RateLimit-* headers for the answer: the window of this client on this account. */
  readonly headers: RateLimitHeaders;
  /** The password was right: forgets this client's failures, so its next typo starts from zero. */
  succeeded(): Promise<void>;
  /** The password was wrong, whether or not the account exists: lengthens this client's back-off. */
  failed(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Call before checking a password (a login, or a signed-in user confirming theirs). Throws the
   * 429 while this client is in back-off on the account or a window is used up. The attempt is
   * counted before the password is checked, with atomic increments, so parallel guesses cannot
   * all slip past a check that only reads; a success refunds it. An attempt never settled (a
   * crash, a forgotten call) therefore still counts, erring on the side of limiting. Only the
   * first settlement of an attempt has any effect.
   */
  begin(client: PasswordClient, email: string): Promise<LoginAttempt>;
}

export interface LoginLimiters {
  /** Attempts per address, whatever the account. */
  perIp: Limit;
  /** Attempts per account and client. */
  perClient: Limit;
  /** The hard cap on failures per account, for clients without a device cookie. */
  perAccount: Limit;
  /** Counts consecutive failures per account and client. */
  failures: Counter;
  /** Holds the current back-off block per account and client. */
  blocks: Counter;
  backoff: Backoff;
  onLimited: (scope: RateLimitScope) => void;
}

export function loginThrottle(limiters: LoginLimiters): LoginThrottle {
  const { perIp, perClient, perAccount, failures, blocks, backoff, onLimited } = limiters;
  return {
    async begin(client, email) {
      const account = accountKey(email);
      const pair = clientAndAccountKey(client, email);
      // A client that has signed in to this account before is known by its device cookie, and an
      // attacker who cannot present one cannot run down its allowance: only strangers share it.
      const capped = client.deviceId === undefined;
      // Attempts during a block are refused before they count, so hammering a blocked client
      // cannot also use up the account's hourly allowance.
      const block = await blocks.get(pair);
      if (block !== null && block.msBeforeNext > 0) {
        onLimited('login_backoff');
        throw rateLimitExceeded(perClient.points, block.msBeforeNext);
      }
      await perIp.consume(ipKey(client.ip));
      const headers = await perClient.consume(pair);
      if (capped) await perAccount.consume(account);

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
            perClient.reset(pair),
            capped && perAccount.refund(account),
            failures.delete(pair),
            blocks.delete(pair),
          ]),
        ),
        failed: settleOnce(async () => {
          const run = await failures.penalty(pair);
          const seconds = backoffSeconds(run.consumedPoints, backoff);
          if (seconds > 0) await blocks.block(pair, seconds);
        }),
      };
    },
  };
}
