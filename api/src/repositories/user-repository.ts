import type { Knex } from 'knex';
import { afterTransaction } from '../db/after-transaction.js';
import { isUniqueViolation } from '../db/database-errors.js';
import { type Role, UserRow } from '../db/models.js';
import type { ResilientDatabase } from '../db/resilient-database.js';
import { userAlreadyExists } from '../errors.js';
import type { UsersChanged } from './session-repository.js';

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
  constructor(
    private readonly database: ResilientDatabase,
    private readonly usersChanged: UsersChanged,
  ) {}

  async create(user: NewUser): Promise<UserRow> {
    try {
      // `returning` keeps it one statement, which is what lets a refused connection be retried.
      const created = await this.database.write((knex) => UserRow.query(knex).insert(user).returning('*'));
      this.usersChanged([created.id]);
      return created;
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

  /** The stored hash of a live account as it is now; a cached principal may be older. */
  async passwordHashOf(id: string): Promise<string | undefined> {
    const user = await this.database.read((knex) =>
      UserRow.query(knex).findById(id).whereNull('deleted_at').select('password_hash'),
    );
    return user?.passwordHash;
  }

  async roleOf(id: string): Promise<Role | undefined> {
    const user = await this.database.read((knex) =>
      UserRow.query(knex).findById(id).whereNull('deleted_at').where('status', 'active').select('role'),
    );
    return user?.role;
  }

  async findLiveById(id: string, trx: Knex.Transaction): Promise<UserRow | undefined> {
    return UserRow.query(trx).findById(id).whereNull('deleted_at');
  }

  async updateDisplayName(id: string, displayName: string, now: Date): Promise<UserRow | undefined> {
    try {
      return await this.database.write((knex) =>
        UserRow.query(knex)
          .patch({ displayName, updatedAt: now })
          .findById(id)
          .whereNull('deleted_at')
          .returning('*'),
      );
    } finally {
      // Even after an error: a statement whose answer was lost may have changed the row.
      this.usersChanged([id]);
    }
  }

  async updatePasswordHash(
    trx: Knex.Transaction,
    id: string,
    passwordHash: string,
    now: Date,
  ): Promise<void> {
    await UserRow.query(trx).findById(id).patch({ passwordHash, passwordChangedAt: now, updatedAt: now });
    afterTransaction(trx, () => this.usersChanged([id]));
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
    if (replaced > 0) this.usersChanged([id]);
    return replaced > 0;
  }

  async softDelete(trx: Knex.Transaction, id: string, now: Date): Promise<void> {
    await UserRow.query(trx).findById(id).patch({ deletedAt: now, updatedAt: now });
    afterTransaction(trx, () => this.usersChanged([id]));
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
    const updated = (await this.database.write((knex) =>
      UserRow.query(knex)
        .whereRaw('lower(email) = lower(?)', [email])
        .whereNull('deleted_at')
        .patch({ role, updatedAt: now })
        .returning('id'),
    )) as unknown as UserRow[];
    if (updated.length > 0) this.usersChanged(updated.map((user) => user.id));
    return updated.length > 0;
  }
}
