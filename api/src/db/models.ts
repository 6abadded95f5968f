import objection from 'objection';

const { Model, snakeCaseMappers } = objection;

/** Rows use snake_case columns; the code sees camelCase properties. */
class BaseModel extends Model {
  static override get columnNameMappers() {
    return snakeCaseMappers();
  }
}

export type Role = 'user' | 'admin';
export type UserStatus = 'active' | 'disabled';

export class UserRow extends BaseModel {
  static override tableName = 'users';
  id!: string;
  email!: string;
  displayName!: string;
  passwordHash!: string;
  role!: Role;
  status!: UserStatus;
  createdAt!: Date;
  updatedAt!: Date;
  passwordChangedAt!: Date;
  deletedAt!: Date | null;
}

export class SessionRow extends BaseModel {
  static override tableName = 'sessions';
  id!: string;
  userId!: string;
  createdAt!: Date;
  lastUsedAt!: Date;
  expiresAt!: Date;
  revokedAt!: Date | null;
  revokedReason!: string | null;
  userAgent!: string | null;
  ip!: string | null;
}

export class RefreshTokenRow extends BaseModel {
  static override tableName = 'refresh_tokens';
  id!: string;
  sessionId!: string;
  parentId!: string | null;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  rotatedAt!: Date | null;
  successorSealed!: string | null;
  revokedAt!: Date | null;
  revokedReason!: string | null;
}
