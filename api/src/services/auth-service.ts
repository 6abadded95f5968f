import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';
import type { PasswordHasher } from '../domain/passwords/password-hasher.js';
import type { AccessTokenService } from '../domain/tokens/access-tokens.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  openSuccessor,
  sealSuccessor,
} from '../domain/tokens/refresh-tokens.js';
import { invalidCredentials, invalidRefreshToken, invalidToken, refreshTokenReused } from '../errors.js';
import type { AuthEvent } from '../observability/metric-catalog.js';
import type { SessionRepository } from '../repositories/session-repository.js';
import type { UserRepository } from '../repositories/user-repository.js';
import { type PublicUser, toPublicUser } from './user-view.js';

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

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

type RefreshOutcome = { kind: 'pair'; pair: TokenPair } | { kind: 'reused' } | { kind: 'invalid' };

const addSeconds = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

export interface AuthServiceDependencies {
  database: ResilientDatabase;
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  accessTokens: AccessTokenService;
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
  ): Promise<TokenPair & { user: PublicUser }> {
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
    const pair = await this.deps.database.transaction(async (trx) => {
      const session = await this.deps.sessions.createSession(trx, {
        userId: user.id,
        expiresAt: addSeconds(now, this.deps.settings.absoluteTtlSeconds),
        ...client,
      });
      return this.issuePair(
        trx,
        user.id,
        session.id,
        null,
        earliest(session.expiresAt, this.idleExpiry(now)),
      );
    });
    this.deps.recordEvent('login_success');
    return { ...pair, user: toPublicUser(user) };
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
   * Rotates a refresh token under a row lock. A token already rotated within the grace window
   * answers with the pair it was rotated into (concurrent tabs); outside it, presenting a used
   * token means it was copied, so the whole session is ended.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const outcome = await this.deps.database.transaction((trx) => this.rotate(trx, refreshToken, client));
    if (outcome.kind === 'reused') {
      this.deps.recordEvent('refresh_reuse_detected');
      throw refreshTokenReused();
    }
    if (outcome.kind === 'invalid') throw invalidRefreshToken();
    this.deps.recordEvent('refresh');
    return outcome.pair;
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

    if (token.rotatedAt) {
      const withinGrace =
        now.getTime() - token.rotatedAt.getTime() <= this.deps.settings.reuseGraceSeconds * 1000;
      const successor =
        withinGrace && token.successorSealed && openSuccessor<TokenPair>(presented, token.successorSealed);
      if (successor) return { kind: 'pair', pair: successor };
      await this.deps.sessions.revoke({ sessionId: session.id }, 'reuse_detected', now, trx);
      return { kind: 'reused' };
    }
    if (token.expiresAt <= now) return { kind: 'invalid' };

    const expiresAt = earliest(session.expiresAt, this.idleExpiry(now));
    const pair = await this.issuePair(trx, session.userId, session.id, token.id, expiresAt);
    await this.deps.sessions.markRotated(trx, token.id, now, sealSuccessor(presented, pair));
    await this.deps.sessions.touchSession(trx, session.id, now, client);
    return { kind: 'pair', pair };
  }

  /** Ends the session a refresh token belongs to; unknown tokens are ignored (logout is idempotent). */
  async logout(refreshToken: string): Promise<void> {
    const token = await this.deps.sessions.findRefreshToken(hashRefreshToken(refreshToken));
    if (!token) return;
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
    const user = await this.deps.sessions.findPrincipal(claims.sessionId, claims.userId, this.deps.clock());
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
    const access = await this.deps.accessTokens.issue({ userId, sessionId });
    return { accessToken: access.token, refreshToken, tokenType: 'Bearer', expiresIn: access.expiresIn };
  }

  private idleExpiry(now: Date): Date {
    return addSeconds(now, this.deps.settings.idleTtlSeconds);
  }
}
