import type { UserRow } from '../db/models.js';

export interface PrincipalCacheSettings {
  /** How long a looked-up principal is answered from memory; 0 turns the cache off. */
  ttlSeconds: number;
  /** The most sessions held; the oldest entry goes first beyond it. */
  maxEntries: number;
}

interface Entry {
  userId: string;
  user: UserRow;
  /** Milliseconds since the epoch: the sooner of the session's expiry and the entry's TTL. */
  validUntil: number;
}

/** Taken before the database is read, handed back to `store` with what the read found. */
export interface ReadTicket {
  readonly invalidation: number;
}

/**
 * The live principals behind access tokens, by session, so that an authenticated request need not
 * ask the database whether its session and account are still live.
 *
 * Correctness rests on three rules:
 * - every change to a user or their sessions calls `forgetUsers` once it has committed (locally at
 *   once, on other instances through the invalidation channel);
 * - a read that started before such a change may not store what it found (the `ReadTicket`), so a
 *   slow read never puts back what an invalidation has just removed;
 * - while invalidations cannot be heard (`usable` false) nothing is answered or stored.
 * The TTL bounds what no invalidation reports: a row changed by hand in the database.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private readonly sessionsOfUser = new Map<string, Set<string>>();
  /** Counts invalidations; a ticket older than a user's last one may not store for that user. */
  private invalidations = 0;
  private readonly lastInvalidated = new Map<string, number>();
  /** Tickets from before this count may not store at all (after a clear or a prune). */
  private storableFrom = 0;
  private usable = true;

  constructor(private readonly settings: PrincipalCacheSettings) {}

  get enabled(): boolean {
    return this.settings.ttlSeconds > 0 && this.usable;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cached user of a session, if the entry is still valid and belongs to that user. */
  get(sessionId: string, userId: string, nowMs: number): UserRow | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.userId !== userId || entry.validUntil <= nowMs) {
      this.remove(sessionId, entry.userId);
      return undefined;
    }
    return entry.user;
  }

  ticket(): ReadTicket {
    return { invalidation: this.invalidations };
  }

  store(ticket: ReadTicket, sessionId: string, user: UserRow, sessionExpiresAt: Date, nowMs: number): void {
    if (!this.enabled || ticket.invalidation < this.storableFrom) return;
    if ((this.lastInvalidated.get(user.id) ?? -1) > ticket.invalidation) return;
    const validUntil = Math.min(sessionExpiresAt.getTime(), nowMs + this.settings.ttlSeconds * 1000);
    if (validUntil <= nowMs) return;
    const previous = this.entries.get(sessionId);
    if (previous) this.remove(sessionId, previous.userId);
    this.entries.set(sessionId, { userId: user.id, user, validUntil });
    let sessions = this.sessionsOfUser.get(user.id);
    if (!sessions) {
      sessions = new Set();
      this.sessionsOfUser.set(user.id, sessions);
    }
    sessions.add(sessionId);
    if (this.entries.size > this.settings.maxEntries) this.evictOldest();
  }

  /** Drops every entry of these users, and refuses any read of them that began before now. */
  forgetUsers(userIds: Iterable<string>): void {
    this.invalidations += 1;
    for (const userId of userIds) {
      this.lastInvalidated.set(userId, this.invalidations);
      for (const sessionId of this.sessionsOfUser.get(userId) ?? []) this.entries.delete(sessionId);
      this.sessionsOfUser.delete(userId);
    }
    // Only reads in flight need these marks; past the bound, refusing every older ticket is simpler.
    if (this.lastInvalidated.size > this.settings.maxEntries) this.refuseOlderTickets();
  }

  /** Empties the cache; reads that began before may not store. */
  clear(): void {
    this.entries.clear();
    this.sessionsOfUser.clear();
    this.refuseOlderTickets();
  }

  /** False while invalidations may be missed (the channel is down): the cache is emptied and bypassed. */
  setUsable(usable: boolean): void {
    if (usable !== this.usable) this.clear();
    this.usable = usable;
  }

  private refuseOlderTickets(): void {
    this.lastInvalidated.clear();
    this.storableFrom = this.invalidations + 1;
    this.invalidations += 1;
  }

  private evictOldest(): void {
    const oldest = this.entries.entries().next().value;
    if (oldest) this.remove(oldest[0], oldest[1].userId);
  }

  private remove(sessionId: string, userId: string): void {
    this.entries.delete(sessionId);
    const sessions = this.sessionsOfUser.get(userId);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.sessionsOfUser.delete(userId);
  }
}
