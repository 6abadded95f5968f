import { validationFailed } from '../errors.js';
import type { UserPageCursor } from '../repositories/user-repository.js';

/** Pagination cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(cursor: UserPageCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.toISOString(), id: cursor.id })).toString(
    'base64url',
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(text: string): UserPageCursor {
  try {
    const { t, id } = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as {
      t?: unknown;
      id?: unknown;
    };
    const createdAt = new Date(typeof t === 'string' ? t : Number.NaN);
    if (typeof id === 'string' && UUID.test(id) && !Number.isNaN(createdAt.getTime()))
      return { createdAt, id };
  } catch {
    // Falls through to the validation error below.
  }
  throw validationFailed({ cursor: 'is not a cursor this API issued' });
}
