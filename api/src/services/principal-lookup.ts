import type { UserRow } from '../db/models.js';
import type { PrincipalLookupResult } from '../observability/metric-catalog.js';
import type { LivePrincipal } from '../repositories/session-repository.js';
import type { PrincipalCache } from './principal-cache.js';

export interface PrincipalLookupDependencies {
  cache: PrincipalCache;
  /** The database's answer: the user, provided the session is live and the account active. */
  findLive: (sessionId: string, userId: string, now: Date) => Promise<LivePrincipal | undefined>;
  /** Counts each lookup by where its answer came from. */
  record: (result: PrincipalLookupResult) => void;
}

/** The user behind a session, from the cache while it may answer, from the database otherwise. */
export function principalLookup({ cache, findLive, record }: PrincipalLookupDependencies) {
  return async (sessionId: string, userId: string, now: Date): Promise<UserRow | undefined> => {
    const nowMs = now.getTime();
    const cached = cache.get(sessionId, userId, nowMs);
    if (cached) {
      record('hit');
      return cached;
    }
    record(cache.enabled ? 'miss' : 'bypass');
    const ticket = cache.ticket();
    const live = await findLive(sessionId, userId, now);
    if (!live) return undefined;
    cache.store(ticket, sessionId, live.user, live.sessionExpiresAt, nowMs);
    return live.user;
  };
}

export type PrincipalLookup = ReturnType<typeof principalLookup>;
