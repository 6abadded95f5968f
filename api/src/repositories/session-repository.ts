import type { Knex } from 'knex';
import { afterTransaction } from '../db/after-transaction.js';
import { RefreshTokenRow, SessionRow, UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';

export interface NewSession {
  userId: string;
  expiresAt: Date;
  userAgent: string | null;
  ip: string | null;
}

export interface NewRefreshToken {
  sessionId: string;
  parentId: string | null;
  tokenHash: string;
  expiresAt: Date;
}

export interface LockedRefreshToken {
  token: RefreshTokenRow;
  session: SessionRow;
}

export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_user'
  | 'password_changed'
  | 'account_deleted'
  | 'reuse_detected'
  | 'wrong_passwords';

export interface RevocationFilter {
  sessionId?: string;
  userId?: string;
  exceptSessionId?: string;
}

/** Told, once a change has committed, whose account or sessions it touched. */
export type UsersChanged = (userIds: readonly string[]) => void;

/** A live principal: the user, and until when the session behind the token lasts. */
export interface LivePrincipal {
  user: UserRow;
  sessionExpiresAt: Date;
}

export class SessionRepository {
  constructor(
    private readonly database: ResilientDatabase,
    private readonly usersChanged: UsersChanged,
  ) {}

  /**
   * A new session and its first refresh token, in one statement (atomic without a transaction):
   * a login's five round trips (BEGIN, two inserts each read back, COMMIT) cost more CPU than
   * everything else it does after the password check. Returns the session id.
   */
  async openSession(
    session: NewSession,
    token: Omit<NewRefreshToken, 'sessionId' | 'parentId'>,
  ): Promise<string> {
    const { rows } = await this.database.write((knex) =>
      knex.raw<{ rows: { session_id: string }[] }>(
        `with session as (
           insert into sessions (user_id, expires_at, user_agent, ip) values (?, ?, ?, ?) returning id
         )
         insert into refresh_tokens (session_id, token_hash, expires_at)
         select id, ?, ? from session
         returning session_id`,
        [session.userId, session.expiresAt, session.userAgent, session.ip, token.tokenHash, token.expiresAt],
      ),
    );
    const sessionId = rows[0]?.session_id;
    if (!sessionId) throw new Error('opening a session inserted no row');
    return sessionId;
  }

  async insertRefreshToken(trx: Knex.Transaction, token: NewRefreshToken): Promise<void> {
    await RefreshTokenRow.query(trx).insert(token);
  }

  /**
   * The token and its session, with the session row locked. Everything that changes the tokens of
   * a session (rotation, a grace answer, revocation) takes that lock first, so they run one at a
   * time per session, always in the same lock order, and a replay sees any use of its successor.
   */
  async lockRefreshToken(trx: Knex.Transaction, tokenHash: string): Promise<LockedRefreshToken | undefined> {
    const session = await SessionRow.query(trx)
      .whereIn('id', RefreshTokenRow.query(trx).select('session_id').where('token_hash', tokenHash))
      .forUpdate()
      .first();
    if (!session) return undefined;
    // Read after the lock is held: a rotation this one waited for has changed the row.
    const token = await RefreshTokenRow.query(trx).where('token_hash', tokenHash).first();
    return token ? { token, session } : undefined;
  }

  /** Whether the token a rotation produced is still unused: neither rotated in turn nor revoked. */
  async hasUnusedSuccessor(trx: Knex.Transaction, tokenId: string): Promise<boolean> {
    const successor = await RefreshTokenRow.query(trx)
      .where('parent_id', tokenId)
      .whereNull('rotated_at')
      .whereNull('revoked_at')
      .first();
    return successor !== undefined;
  }

  /**
   * Marks a token rotated and keeps its sealed successor for the grace window. Every other seal of
   * the session goes: the only one a grace answer can still need is this one, since a parent's
   * window ends once its successor (the token rotated here) is used.
   */
  async markRotated(
    trx: Knex.Transaction,
    token: RefreshTokenRow,
    at: Date,
    successorSealed: string,
  ): Promise<void> {
    await RefreshTokenRow.query(trx)
      .where('session_id', token.sessionId)
      .whereNotNull('successor_sealed')
      .patch({ successorSealed: null });
    await RefreshTokenRow.query(trx).findById(token.id).patch({ rotatedAt: at, successorSealed });
  }

  async touchSession(
    trx: Knex.Transaction,
    sessionId: string,
    at: Date,
    client: { userAgent: string | null; ip: string | null },
  ): Promise<void> {
    await SessionRow.query(trx)
      .findById(sessionId)
      .patch({ lastUsedAt: at, ...client });
  }

  findRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    return this.database.read((knex) => RefreshTokenRow.query(knex).where('token_hash', tokenHash).first());
  }

  /**
   * Ends sessions and every refresh token in them; returns the number of sessions ended. Given no
   * transaction, it runs in one of its own, so that both statements take effect or neither.
   */
  revoke(
    filter: RevocationFilter,
    reason: RevocationReason,
    at: Date,
    trx?: Knex.Transaction,
  ): Promise<number> {
    if (trx) return this.revokeIn(trx, filter, reason, at);
    return this.database.transaction((ownTrx) => this.revokeIn(ownTrx, filter, reason, at));
  }

  private async revokeIn(
    trx: Knex.Transaction,
    filter: RevocationFilter,
    reason: RevocationReason,
    at: Date,
  ): Promise<number> {
    const sessions = SessionRow.query(trx).whereNull('revoked_at');
    if (filter.sessionId) sessions.where('id', filter.sessionId);
    if (filter.userId) sessions.where('user_id', filter.userId);
    if (filter.exceptSessionId) sessions.whereNot('id', filter.exceptSessionId);
    const ended = (await sessions
      .patch({ revokedAt: at, revokedReason: reason })
      .returning(['id', 'user_id'])) as unknown as SessionRow[];
    const ids = ended.map((session) => session.id);
    if (ids.length > 0) {
      const userIds = [...new Set(ended.map((session) => session.userId))];
      afterTransaction(trx, () => this.usersChanged(userIds));
      // An ended session needs no grace answer, so its sealed successors go with it.
      await RefreshTokenRow.query(trx)
        .whereIn('session_id', ids)
        .whereNull('revoked_at')
        .patch({ revokedAt: at, revokedReason: reason, successorSealed: null });
    }
    return ids.length;
  }

  listLive(userId: string, now: Date): Promise<SessionRow[]> {
    return this.database.read((knex) =>
      SessionRow.query(knex)
        .where('user_id', userId)
        .whereNull('revoked_at')
        .where('expires_at', '>', now)
        .orderBy('last_used_at', 'desc'),
    );
  }

  /**
   * The user behind an access token, provided its session is still live and the account still
   * active: this is what makes logout, password change and deletion stop access tokens at once.
   * It runs on every authenticated request, so it skips objection and runs as a named prepared
   * statement: PostgreSQL plans it once per connection (measured 2.4x the lookups per second).
   */
  async findPrincipal(sessionId: string, userId: string, now: Date): Promise<LivePrincipal | undefined> {
    const row = await this.database.read((knex) =>
      knex('users')
        .select('users.*', { session_expires_at: 'sessions.expires_at' })
        .join('sessions', 'sessions.user_id', 'users.id')
        .where('sessions.id', sessionId)
        .where('users.id', userId)
        .whereNull('sessions.revoked_at')
        .where('sessions.expires_at', '>', now)
        .whereNull('users.deleted_at')
        .where('users.status', 'active')
        .first()
        .options({ name: 'find_principal' }),
    );
    if (!row) return undefined;
    const { session_expires_at: sessionExpiresAt, ...user } = row;
    return { user: UserRow.fromDatabaseJson(user), sessionExpiresAt: new Date(sessionExpiresAt) };
  }
}
