/**
 * The streams each of `sessions` HTTP/2 sessions carries so that `concurrency` requests are in flight,
 * the same on every session: h2load takes one number for all of its connections.
 */
export function streamsPerSession(concurrency: number, sessions: number): number {
  if (concurrency % sessions !== 0) {
    throw new Error(`${concurrency} requests in flight do not spread evenly over ${sessions} sessions`);
  }
  return concurrency / sessions;
}
