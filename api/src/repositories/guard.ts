import { toDomainError } from '../db/database-errors.js';

/** Awaits a query and rethrows driver failures as the domain errors clients should see. */
export async function guard<T>(query: PromiseLike<T>): Promise<T> {
  try {
    return await query;
  } catch (error) {
    throw toDomainError(error);
  }
}
