/**
 * Hashes that may wait per hashing slot by default: the line holds PASSWORD_HASH_CONCURRENCY times
 * this many, so that a login admitted at the back of a full line is answered in about 1 s.
 *
 * Derived on 2 shared cores (Node 20, argon2id m=19456 t=2 p=1): one verification alone took 10 ms
 * (median of 40); two at once finished one hash every 11 to 19 ms of wall time (54 to 91 per s).
 * A job admitted behind N waiting at C slots is done after about (N + C) × 19 ms at the slowest
 * figure, and 1 s allows N + C ≤ 52. Twenty per slot (N = 40 at C = 2) gives 42 × 19 ms ≈ 0.8 s,
 * leaving a fifth of the second for the rest of a login (queries, token signing) on the same cores.
 * This holds while the concurrency stays at or below the cores the process has to itself: where
 * other work takes them, every hash slows with it, and PASSWORD_HASH_QUEUE_MAX should be lowered.
 */
const WAITING_HASHES_PER_SLOT = 20;

export const defaultHashQueueMax = (concurrency: number) => concurrency * WAITING_HASHES_PER_SLOT;
