import type { Knex } from 'knex';

/**
 * Runs `effect` once the transaction has ended. It runs on a rollback too: a COMMIT whose answer
 * was lost may still have committed, and the effects meant here (forgetting cached rows) are
 * harmless when nothing changed.
 */
export function afterTransaction(trx: Knex.Transaction, effect: () => void): void {
  trx.executionPromise.then(effect, effect);
}
