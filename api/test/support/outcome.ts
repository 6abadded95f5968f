import { DomainError } from '../../src/errors.js';

/** `accepted`, or the code of the DomainError the promise was refused with. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof DomainError ? error.code : `unexpected ${String(error)}`;
  }
}
