import type { QueryCache } from '../cache/query-cache.js';
import type { Clock } from '../clock.js';
import type { Role, UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';
import type { PasswordHasher } from '../domain/passwords/password-hasher.js';
import { invalidToken, sessionNotFound, wrongPassword } from '../errors.js';
import type { AuthEvent, QueryCacheNamespace } from '../observability/metric-catalog.js';
import type { SessionRepository } from '../repositories/session-repository.js';
import type { UserPageCursor, UserRepository } from '../repositories/user-repository.js';
import type { Principal } from './auth-service.js';
import { type PublicUser, toPublicUser } from './user-view.js';

export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

export interface UserPage {
  users: PublicUser[];
  nextCursor: UserPageCursor | null;
}

/** What a signed-in user can do to their own account and sessions, and what an admin can list. */
export interface AccountServiceDependencies {
  database: ResilientDatabase;
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  clock: Clock;
  recordEvent: (event: AuthEvent) => void;
  /** Where admin listing pages are kept between changes to any account. */
  cache: QueryCache;
}

/** The query-cache namespace of the admin listing; any account change invalidates it. */
export const USER_LISTING: QueryCacheNamespace = 'user-listing';
/** Bounds how long a change whose invalidation failed (Redis unreachable) can go unseen. */
const USER_LISTING_TTL_SECONDS = 30;

export class AccountService {
  constructor(private readonly deps: AccountServiceDependencies) {}

  async rename(principal: Principal, name: string): Promise<PublicUser> {
    const user = await this.deps.users.updateDisplayName(principal.user.id, name, this.deps.clock());
    if (!user) throw invalidToken();
    return toPublicUser(user);
  }

  /** Ends every other session at once: whoever else knew the old password is signed out. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    await this.requirePassword(principal.user, currentPassword, 'currentPassword');
    const passwordHash = await this.deps.hasher.hash(newPassword);
    const now = this.deps.clock();
    await this.deps.database.transaction(async (trx) => {
      await this.deps.users.updatePasswordHash(trx, principal.user.id, passwordHash, now);
      await this.deps.sessions.revoke(
        { userId: principal.user.id, exceptSessionId: principal.sessionId },
        'password_changed',
        now,
        trx,
      );
    });
    this.deps.recordEvent('password_changed');
  }

  /** Soft delete: the account, its sessions and its access tokens stop working in one commit. */
  async deleteAccount(principal: Principal, password: string): Promise<void> {
    await this.requirePassword(principal.user, password, 'password');
    const now = this.deps.clock();
    await this.deps.database.transaction(async (trx) => {
      await this.deps.users.softDelete(trx, principal.user.id, now);
      await this.deps.sessions.revoke({ userId: principal.user.id }, 'account_deleted', now, trx);
    });
    this.deps.recordEvent('account_deleted');
  }

  /**
   * Ends the one session that gave too many wrong passwords, as reuse detection ends a session: a
   * stolen access token cannot keep guessing, and the owner's other sessions stay.
   */
  async endSessionAfterWrongPasswords(principal: Principal): Promise<void> {
    await this.deps.sessions.revoke({ sessionId: principal.sessionId }, 'wrong_passwords', this.deps.clock());
    this.deps.recordEvent('reauth_session_ended');
  }

  async listSessions(principal: Principal): Promise<SessionView[]> {
    const sessions = await this.deps.sessions.listLive(principal.user.id, this.deps.clock());
    return sessions.map((session) => ({
      id: session.id,
      current: session.id === principal.sessionId,
      createdAt: new Date(session.createdAt).toISOString(),
      lastUsedAt: new Date(session.lastUsedAt).toISOString(),
      expiresAt: new Date(session.expiresAt).toISOString(),
      userAgent: session.userAgent,
      ip: session.ip,
    }));
  }

  async endSession(principal: Principal, sessionId: string): Promise<void> {
    const ended = await this.deps.sessions.revoke(
      { sessionId, userId: principal.user.id },
      'revoked_by_user',
      this.deps.clock(),
    );
    if (ended === 0) throw sessionNotFound();
    this.deps.recordEvent('session_revoked');
  }

  /** The role of a live, active account as the database holds it now. */
  currentRole(userId: string): Promise<Role | undefined> {
    return this.deps.users.roleOf(userId);
  }

  /**
   * A page of the admin listing, from the query cache while no account has changed since it was
   * read (every change invalidates the namespace; see compose.ts).
   */
  async listUsers(limit: number, after?: UserPageCursor): Promise<UserPage> {
    const key = after ? `${limit}:${after.createdAt.toISOString()}:${after.id}` : `${limit}:`;
    const page = await this.deps.cache.getOrSet(USER_LISTING, key, USER_LISTING_TTL_SECONDS, () =>
      this.readUserPage(limit, after),
    );
    // Kept as JSON, the cursor's date comes back as a string.
    return {
      users: page.users,
      nextCursor: page.nextCursor && {
        createdAt: new Date(page.nextCursor.createdAt),
        id: page.nextCursor.id,
      },
    };
  }

  private async readUserPage(limit: number, after?: UserPageCursor): Promise<UserPage> {
    // One row more than asked tells whether another page exists without a count query.
    const rows = await this.deps.users.listNewestFirst(limit + 1, after);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      users: page.map(toPublicUser),
      nextCursor: rows.length > limit && last ? { createdAt: new Date(last.createdAt), id: last.id } : null,
    };
  }

  private async requirePassword(user: UserRow, password: string, field: string): Promise<void> {
    const passwordHash = await this.deps.users.passwordHashOf(user.id);
    if (passwordHash === undefined) throw invalidToken();
    if (await this.deps.hasher.verify(passwordHash, password)) return;
    this.deps.recordEvent('reauth_failure');
    throw wrongPassword(field);
  }
}
