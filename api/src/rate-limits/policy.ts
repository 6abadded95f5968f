/** At most `points` actions per `durationSeconds`, counted from the first one (a fixed window per key). */
export interface Window {
  points: number;
  durationSeconds: number;
}

/**
 * Consecutive failed logins on one account: after `freeFailures`, every further failure blocks
 * the account for twice as long as the one before, from `firstBlockSeconds` up to `maxBlockSeconds`.
 */
export interface Backoff {
  freeFailures: number;
  firstBlockSeconds: number;
  maxBlockSeconds: number;
  /** How long a run of failures is remembered when no successful login ends it. */
  memorySeconds: number;
}

export interface RateLimitPolicy {
  perIp: Window;
  registerPerIp: Window;
  loginPerIpAndEmail: Window;
  /** Failed logins per account, whoever sends them. */
  loginPerAccount: Window;
  loginBackoff: Backoff;
  refreshPerSession: Window;
}

export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = {
  // A browser app makes a handful of calls per page and an office or carrier NAT puts many people
  // behind one address; 5 a second on average still stops floods and scraping from one address.
  perIp: { points: 300, durationSeconds: 60 },
  // People sign up once; a script creating accounts, or probing which emails exist through the
  // 409, gets ten tries an hour per address.
  registerPerIp: { points: 10, durationSeconds: 60 * 60 },
  // Enough for someone fumbling a password, far too few for guessing one account from one address.
  loginPerIpAndEmail: { points: 10, durationSeconds: 15 * 60 },
  // ASVS 4.0.3 V2.2.1: no more than 100 failed attempts per hour on one account, even when they
  // come from many addresses.
  loginPerAccount: { points: 100, durationSeconds: 60 * 60 },
  // Three typos cost nothing; then 1 s, 2 s, 4 s … so distributed guessing against one account
  // slows to a few tries an hour, while a locked-out owner waits 15 minutes at worst.
  loginBackoff: {
    freeFailures: 3,
    firstBlockSeconds: 1,
    maxBlockSeconds: 15 * 60,
    memorySeconds: 24 * 60 * 60,
  },
  // A client refreshes once per access-token lifetime; 30 a minute leaves room for many tabs
  // racing each other and still stops a client stuck in a refresh loop.
  refreshPerSession: { points: 30, durationSeconds: 60 },
};

/** Whole seconds the account is blocked for after its `consecutiveFailures`-th failure in a row. */
export function backoffSeconds(consecutiveFailures: number, backoff: Backoff): number {
  const beyondFree = consecutiveFailures - backoff.freeFailures;
  if (beyondFree <= 0) return 0;
  // Redis keeps expiries in whole seconds, so the block must be one too.
  return Math.ceil(Math.min(backoff.firstBlockSeconds * 2 ** (beyondFree - 1), backoff.maxBlockSeconds));
}

/**
 * What one action weighs in a count an instance keeps alone while the shared one is unreachable:
 * as much as every replica's together, so the replicas counting apart let through about what one
 * shared count would; but never more than a whole window, so each still lets one action through.
 */
export const fallbackWeight = (replicas: number, points: number) => Math.max(1, Math.min(replicas, points));
