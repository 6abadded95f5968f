import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database-errors.js';
import { type Role, UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';
import { userAlreadyExists } from '../errors.js';

export interface NewUser {
  email: string;
  displayName: string;
  passwordHash: string;
}

export interface UserPageCursor {
  createdAt: Date;
  id: string;
}

export class UserRepository {
  constructor(private readonly database: ResilientDatabase) {}

  async create(user: NewUser): Promise<UserRow> {
    try {
      // `returning` keeps it one statement, which is what lets a refused connection be retried.
      return await this.database.write((knex) => UserRow.query(knex).insert(user).returning('*'));
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_unique')) throw userAlreadyExists();
      throw error;
    }
  }

  /** The live account for an address, whatever the case it was registered in. */
  findLiveByEmail(email: string): Promise<UserRow | undefined> {
    return this.database.read((knex) =>
      UserRow.query(knex).whereRaw('lower(email) = lower(?)', [email]).whereNull('deleted_at').first(),
    );
  }

  async findLiveById(id: string, trx: Knex.Transaction): Promise<UserRow | undefined> {
    return UserRow.query(trx).findById(id).whereNull('deleted_at');
  }

  updateDisplayName(id: string, displayName: string, now: Date): Promise<UserRow | undefined> {
    return this.database.write((knex) =>
      UserRow.query(knex)
        .patch({ displayName, updatedAt: now })
        .findById(id)
        .whereNull('deleted_at')
        .returning('*'),
    );
  }

  async updatePasswordHash(
    trx: Knex.Transaction,
    id: string,
    passwordHash: string,
    now: Date,
  ): Promise<void> {
    await UserRow.query(trx).findById(id).patch({ passwordHash, passwordChangedAt: now, updatedAt: now });
  }

  /**
   * Swaps a hash for another of the same password (made with newer parameters): not a password
   * change, so password_changed_at, updated_at and the sessions stay as they are. Only while the
   * stored hash is still `current`, so a password changed meanwhile is never overwritten with the
   * old one. Returns whether it was swapped.
   */
  async replacePasswordHash(id: string, current: string, replacement: string): Promise<boolean> {
    const replaced = await this.database.write((knex) =>
      UserRow.query(knex)
        .patch({ passwordHash: replacement })
        .where({ id, password_hash: current })
        .whereNull('deleted_at'),
    );
    return replaced > 0;
  }

  async softDelete(trx: Knex.Transaction, id: string, now: Date): Promise<void> {
    await UserRow.query(trx).findById(id).patch({ deletedAt: now, updatedAt: now });
  }

  /** Newest first; `after` is the last row of the previous page (keyset pagination). */
  listNewestFirst(limit: number, after?: UserPageCursor): Promise<UserRow[]> {
    return this.database.read((knex) => {
      const query = UserRow.query(knex)
        .whereNull('deleted_at')
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(limit);
      if (after) query.whereRaw('(created_at, id) < (?, ?)', [after.createdAt, after.id]);
      return query;
    });
  }

  /** Returns whether a live account with that email existed. */
  async setRole(email: string, role: Role, now: Date): Promise<boolean> {
    const updated = await this.database.write((knex) =>
      UserRow.query(knex)
        .whereRaw('lower(email) = lower(?)', [email])
        .whereNull('deleted_at')
        .patch({ role, updatedAt: now }),
    );
    return updated > 0;
  }
}
