/** At most `points` actions per `durationSeconds`, counted from the first one (a fixed window per key). */
export interface Window {
  points: number;
  durationSeconds: number;
}

/**
 * Consecutive wrong passwords from one client on one account: after `freeFailures`, every further
 * failure blocks that client for twice as long as the one before, from `firstBlockSeconds` up to
 * `maxBlockSeconds`.
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
  /** Login attempts per client address, whatever the account: the cost of a flood of hashes. */
  loginPerIp: Window;
  /** Password attempts per account and client (its device, else its address). */
  loginPerClientAndAccount: Window;
  /** Failed password attempts per account from clients without a device cookie, whoever sends them. */
  loginPerAccount: Window;
  /** Per account and client, so nobody else's failures can block the owner. */
  loginBackoff: Backoff;
  /** Wrong passwords one signed-in session may give (password change, account deletion) before it ends. */
  wrongPasswordsPerSession: Window;
  refreshPerSession: Window;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = {
  // A browser app makes a handful of calls per page and an office or carrier NAT puts many people
  // behind one address; 5 a second on average still stops floods and scraping from one address.
  perIp: { points: 300, durationSeconds: MINUTE },
  // People sign up once; a script creating accounts, or probing which emails exist through the
  // 409, gets ten tries an hour per address.
  registerPerIp: { points: 10, durationSeconds: HOUR },
  // Each login costs an argon2id hash. One person logs in a few times a day and a NAT's worth of
  // people rarely twenty times a minute, while a flood from a few addresses would otherwise keep
  // the hashing pool busy and every real login waiting behind it.
  loginPerIp: { points: 20, durationSeconds: MINUTE },
  // Enough for someone fumbling a password, far too few for guessing one account from one client.
  loginPerClientAndAccount: { points: 10, durationSeconds: 15 * MINUTE },
  // ASVS 4.0.3 V2.2.1: no more than 100 failed attempts per hour on one account, even when they
  // come from many addresses. Clients with a device cookie are spared, so using it up locks out
  // only clients the account has never signed in from.
  loginPerAccount: { points: 100, durationSeconds: HOUR },
  // Three typos cost nothing; then 1 s, 2 s, 4 s … so guessing from one client slows to a few tries
  // an hour, while an owner who locked themselves out waits 15 minutes at worst.
  loginBackoff: {
    freeFailures: 3,
    firstBlockSeconds: 1,
    maxBlockSeconds: 15 * MINUTE,
    memorySeconds: DAY,
  },
  // A stolen access token is no password oracle: five wrong passwords end its session. Counted for
  // as long as a session may sit idle (REFRESH_TOKEN_IDLE_TTL, 7 days by default); a longer window
  // would overflow the in-process counter's timer (Node's limit is about 24.8 days).
  wrongPasswordsPerSession: { points: 5, durationSeconds: 7 * DAY },
  // A client refreshes once per access-token lifetime; 30 a minute leaves room for many tabs
  // racing each other and still stops a client stuck in a refresh loop.
  refreshPerSession: { points: 30, durationSeconds: MINUTE },
};

/** Whole seconds a client is blocked for after its `consecutiveFailures`-th failure in a row. */
export function backoffSeconds(consecutiveFailures: number, backoff: Backoff): number {
  const beyondFree = consecutiveFailures - backoff.freeFailures;
  if (beyondFree <= 0) return 0;
  // Redis keeps expiries in whole seconds, so the block must be one too.
  return Math.ceil(Math.min(backoff.firstBlockSeconds * 2 ** (beyondFree - 1), backoff.maxBlockSeconds));
}

/** Whether a session that has given `wrongPasswords` wrong passwords must end now. */
export const sessionMustEnd = (wrongPasswords: number, allowance: Window) =>
  wrongPasswords >= allowance.points;

/**
 * What one action weighs in a count an instance keeps alone while the shared one is unreachable:
 * as much as every replica's together, so the replicas counting apart let through about what one
 * shared count would; but never more than a whole window, so each still lets one action through.
 */
export const fallbackWeight = (replicas: number, points: number) => Math.max(1, Math.min(replicas, points));
