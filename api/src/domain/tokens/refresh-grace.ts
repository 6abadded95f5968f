/** What the API knows of the client behind a request: its user agent and its address (`ctx.ip`). */
export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** What is sealed with a rotated token: the pair it was rotated into, and for which client. */
export interface SealedSuccessor<Pair> {
  pair: Pair;
  client: ClientInfo;
}

export type ReuseReason = 'outside_window' | 'successor_used' | 'successor_unavailable' | 'other_client';

export type ReplayVerdict<Pair> = { kind: 'grace'; pair: Pair } | { kind: 'reuse'; reason: ReuseReason };

export interface ReplayFacts<Pair> {
  rotatedAt: Date;
  now: Date;
  windowSeconds: number;
  /** Whether the pair handed out at rotation has been rotated in turn (or its session ended). */
  successorUsed: boolean;
  /** The opened seal; undefined when there is none or it cannot be opened. */
  sealed: SealedSuccessor<Pair> | undefined;
  presentedBy: ClientInfo;
}

const sameClient = (a: ClientInfo, b: ClientInfo) => a.userAgent === b.userAgent && a.ip === b.ip;

/**
 * Decides what a rotated refresh token presented again gets. The grace answer exists for one
 * client racing itself (two tabs refreshing at once, a retry after a lost answer), so it is given
 * only while that race can still be going on: within the window, to the client that rotated the
 * token, and before anyone has used the successor. Anything else is a copy of the token.
 */
export function judgeReplay<Pair>(facts: ReplayFacts<Pair>): ReplayVerdict<Pair> {
  const reuse = (reason: ReuseReason) => ({ kind: 'reuse', reason }) as const;
  if (facts.now.getTime() - facts.rotatedAt.getTime() >= facts.windowSeconds * 1000) {
    return reuse('outside_window');
  }
  if (facts.successorUsed) return reuse('successor_used');
  if (!facts.sealed) return reuse('successor_unavailable');
  if (!sameClient(facts.sealed.client, facts.presentedBy)) return reuse('other_client');
  return { kind: 'grace', pair: facts.sealed.pair };
}
