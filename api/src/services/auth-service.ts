import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';
import type { LimitedHasher } from '../domain/passwords/password-hasher.js';
import type { AccessTokenService } from '../domain/tokens/access-tokens.js';
import type { KeySet } from '../domain/tokens/key-set.js';
import {
  type ClientInfo,
  judgeReplay,
  type ReuseReason,
  type SealedSuccessor,
} from '../domain/tokens/refresh-grace.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  openSuccessor,
  sealSuccessor,
} from '../domain/tokens/refresh-tokens.js';
import {
  concerning,
  invalidCredentials,
  invalidRefreshToken,
  invalidToken,
  refreshTokenReused,
} from '../errors.js';
import type { AuthEvent } from '../observability/metric-catalog.js';
import type { LockedRefreshToken, SessionRepository } from '../repositories/session-repository.js';
import type { UserRepository } from '../repositories/user-repository.js';
import type { PrincipalLookup } from './principal-lookup.js';
import { type PublicUser, toPublicUser } from './user-view.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface RefreshSettings {
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  reuseGraceSeconds: number;
}

export interface Principal {
  user: UserRow;
  sessionId: string;
}

/** Whose session a login or refresh concerned, for the audit line. */
export interface SessionSubject {
  sessionId: string;
  userId: string;
}

/** A refreshed pair; `grace` when it is the pair a rotated token was already answered with. */
export interface Refreshed {
  pair: TokenPair;
  subject: SessionSubject;
  grace: boolean;
}

type RefreshOutcome =
  | { kind: 'rotated'; pair: TokenPair; subject: SessionSubject }
  | { kind: 'grace'; pair: TokenPair; subject: SessionSubject }
  | { kind: 'reused'; reason: ReuseReason; subject: SessionSubject }
  | { kind: 'invalid' };

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

export interface AuthServiceDependencies {
  database: ResilientDatabase;
  users: UserRepository;
  sessions: SessionRepository;
  /** The live user behind a session: cached, and forgotten whenever the user or the session changes. */
  findPrincipal: PrincipalLookup;
  hasher: LimitedHasher;
  accessTokens: AccessTokenService;
  /** The key set in use: its current key seals successors, any key in it opens them. */
  keys: () => KeySet;
  settings: RefreshSettings;
  clock: Clock;
  /** Counts what happened (auth_events_total); never fails the request. */
  recordEvent: (event: AuthEvent) => void;
  /** Takes one refresh from the session's allowance; throws the 429 when it is used up. */
  throttleRefresh: (sessionId: string) => Promise<unknown>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export class AuthService {
  /** Computed once, up front, so the first unknown-email login is not slower than the rest. */
  private readonly dummyHash: Promise<string>;

  constructor(private readonly deps: AuthServiceDependencies) {
    this.dummyHash = deps.hasher.hash(randomBytes(32).toString('base64url'));
  }

  async register(input: { email: string; password: string; name: string }): Promise<PublicUser> {
    const passwordHash = await this.deps.hasher.hash(input.password);
    const user = await this.deps.users.create({ email: input.email, displayName: input.name, passwordHash });
    this.deps.recordEvent('register');
    return toPublicUser(user);
  }

  /**
   * An unknown address, a deleted or disabled account and a wrong password all cost one argon2id
   * verification and end in the same error, so neither the answer nor its timing tells which.
   */
  async login(
    input: { email: string; password: string },
    client: ClientInfo,
  ): Promise<TokenPair & { user: PublicUser; sessionId: string }> {
    // In a storm, refusing before the lookup keeps refusals from queueing for the database pool.
    this.deps.hasher.shedIfFull();
    const user = await this.deps.users.findLiveByEmail(input.email);
    const usable = user !== undefined && user.status === 'active';
    const passwordHash = usable ? user.passwordHash : await this.dummyHash;
    const matches = await this.deps.hasher.verify(passwordHash, input.password);
    if (!usable || !matches) {
      this.deps.recordEvent('login_failure');
      throw invalidCredentials();
    }
    await this.upgradeOutdatedHash(user, input.password);

    const now = this.deps.clock();
    const sessionExpiresAt = addSeconds(now, this.deps.settings.absoluteTtlSeconds);
    const refreshToken = generateRefreshToken();
    const sessionId = await this.deps.sessions.openSession(
      { userId: user.id, expiresAt: sessionExpiresAt, ...client },
      {
        tokenHash: hashRefreshToken(refreshToken),
        expiresAt: earliest(sessionExpiresAt, this.idleExpiry(now)),
      },
    );
    const pair = await this.pairWith(refreshToken, user.id, sessionId);
    this.deps.recordEvent('login_success');
    return { ...pair, user: toPublicUser(user), sessionId };
  }

  /**
   * Rehashes when the hashing parameters have changed since the stored hash was made: a login is
   * the one moment an existing account's password is at hand. Best effort: a full hashing queue or
   * a database error costs the upgrade, which the next login tries again, never the login itself.
   */
  private async upgradeOutdatedHash(user: UserRow, password: string): Promise<void> {
    if (!this.deps.hasher.needsRehash(user.passwordHash)) return;
    try {
      const upgraded = await this.deps.hasher.hash(password);
      if (await this.deps.users.replacePasswordHash(user.id, user.passwordHash, upgraded)) {
        this.deps.logger.info({ userId: user.id }, 'password hash upgraded to the configured parameters');
      }
    } catch (error) {
      this.deps.logger.warn(
        { userId: user.id, err: error },
        'password hash upgrade failed; the login goes on',
      );
    }
  }

  /**
   * Rotates a refresh token under its session's lock. A rotated token presented again gets the
   * pair it was rotated into only in the narrow case of a client racing itself (see judgeReplay);
   * otherwise presenting a used token means it was copied, so the whole session is ended.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<Refreshed> {
    const outcome = await this.deps.database.transaction((trx) => this.rotate(trx, refreshToken, client));
    switch (outcome.kind) {
      case 'invalid':
        throw invalidRefreshToken();
      case 'reused':
        this.deps.recordEvent('refresh_reuse_detected');
        throw concerning(refreshTokenReused(), { ...outcome.subject, reason: outcome.reason });
      case 'grace':
        this.deps.recordEvent('refresh_grace');
        return { pair: outcome.pair, subject: outcome.subject, grace: true };
      case 'rotated':
        this.deps.recordEvent('refresh');
        return { pair: outcome.pair, subject: outcome.subject, grace: false };
    }
  }

  private async rotate(
    trx: Knex.Transaction,
    presented: string,
    client: ClientInfo,
  ): Promise<RefreshOutcome> {
    const now = this.deps.clock();
    const locked = await this.deps.sessions.lockRefreshToken(trx, hashRefreshToken(presented));
    if (!locked) return { kind: 'invalid' };
    const { token, session } = locked;
    if (session.revokedAt || session.expiresAt <= now || token.revokedAt) return { kind: 'invalid' };
    const user = await this.deps.users.findLiveById(session.userId, trx);
    if (user?.status !== 'active') return { kind: 'invalid' };
    await this.deps.throttleRefresh(session.id);

    if (token.rotatedAt) return this.replay(trx, locked, token.rotatedAt, presented, client, now);
    if (token.expiresAt <= now) return { kind: 'invalid' };

    const expiresAt = earliest(session.expiresAt, this.idleExpiry(now));
    const pair = await this.issuePair(trx, session.userId, session.id, token.id, expiresAt);
    const sealed: SealedSuccessor<TokenPair> = { pair, client };
    await this.deps.sessions.markRotated(trx, token, now, sealSuccessor(this.deps.keys(), presented, sealed));
    await this.deps.sessions.touchSession(trx, session.id, now, client);
    return { kind: 'rotated', pair, subject: { sessionId: session.id, userId: session.userId } };
  }

  private async replay(
    trx: Knex.Transaction,
    { token, session }: LockedRefreshToken,
    rotatedAt: Date,
    presented: string,
    client: ClientInfo,
    now: Date,
  ): Promise<RefreshOutcome> {
    const verdict = judgeReplay({
      rotatedAt,
      now,
      windowSeconds: this.deps.settings.reuseGraceSeconds,
      successorUsed: !(await this.deps.sessions.hasUnusedSuccessor(trx, token.id)),
      sealed:
        token.successorSealed === null
          ? undefined
          : openSuccessor<SealedSuccessor<TokenPair>>(this.deps.keys(), presented, token.successorSealed),
      presentedBy: client,
    });
    const subject = { sessionId: session.id, userId: session.userId };
    if (verdict.kind === 'grace') return { kind: 'grace', pair: verdict.pair, subject };
    await this.deps.sessions.revoke({ sessionId: session.id }, 'reuse_detected', now, trx);
    return { kind: 'reused', reason: verdict.reason, subject };
  }

  /**
   * Ends the session of a live refresh token. An unknown, rotated or revoked token changes nothing
   * and is not an error (logout is idempotent): a copy of a used token must not end the session
   * its client has moved on in. It is not treated as reuse either, which would end that session too.
   */
  async logout(refreshToken: string): Promise<void> {
    const token = await this.deps.sessions.findRefreshToken(hashRefreshToken(refreshToken));
    if (!token || token.rotatedAt || token.revokedAt) return;
    await this.deps.sessions.revoke({ sessionId: token.sessionId }, 'logout', this.deps.clock());
    this.deps.recordEvent('logout');
  }

  async logoutAll(userId: string): Promise<void> {
    await this.deps.sessions.revoke({ userId }, 'logout_all', this.deps.clock());
    this.deps.recordEvent('logout_all');
  }

  /** Resolves an access token to its user, refusing it if the session or account has ended since. */
  async authenticate(accessToken: string): Promise<Principal> {
    const claims = await this.deps.accessTokens.verify(accessToken);
    const user = await this.deps.findPrincipal(claims.sessionId, claims.userId, this.deps.clock());
    if (!user) throw invalidToken();
    return { user, sessionId: claims.sessionId };
  }

  private async issuePair(
    trx: Knex.Transaction,
    userId: string,
    sessionId: string,
    parentId: string | null,
    expiresAt: Date,
  ): Promise<TokenPair> {
    const refreshToken = generateRefreshToken();
    await this.deps.sessions.insertRefreshToken(trx, {
      sessionId,
      parentId,
      tokenHash: hashRefreshToken(refreshToken),
      expiresAt,
    });
    return this.pairWith(refreshToken, userId, sessionId);
  }

  private async pairWith(refreshToken: string, userId: string, sessionId: string): Promise<TokenPair> {
    const access = await this.deps.accessTokens.issue({ userId, sessionId });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }

  private idleExpiry(now: Date): Date {
    return addSeconds(now, this.deps.settings.idleTtlSeconds);
  }
}
