import type { KeySet, SigningKey } from './key-set.js';

interface Entry<Claims> {
  claims: Claims;
  expiresAtMs: number;
  /** The key whose signature was checked. */
  key: SigningKey;
}

/** The same kid may come back with other key material; only the same public key vouches again. */
const stillPublished = (keySet: KeySet, key: SigningKey): boolean => {
  const published = keySet.byKid.get(key.kid)?.publicJwk;
  return published?.alg === key.alg && published.x === key.publicJwk.x && published.y === key.publicJwk.y;
};

/**
 * Remembers access tokens whose signature and claims were already checked, until they expire.
 * A client sends the same token with every request for its whole lifetime, and a signature check
 * costs more than the rest of a light request. Only the verdict "valid" is kept; the session and
 * account are still checked on every request. When the key set changes (a reload), the verdicts of
 * keys it no longer holds are dropped, so a token of a retired key is never accepted from memory,
 * while tokens of keys that stay (a rotation moves current to previous) need no second check.
 * Least recently used entries go first when full.
 */
export class VerifiedTokenCache<Claims> {
  private entries = new Map<string, Entry<Claims>>();
  private keySet: KeySet | undefined;

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, keySet: KeySet, nowMs: number): Claims | undefined {
    this.follow(keySet);
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (nowMs >= entry.expiresAtMs) return undefined;
    this.entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, keySet: KeySet, key: SigningKey, claims: Claims, expiresAtMs: number): void {
    this.follow(keySet);
    this.entries.set(token, { claims, expiresAtMs, key });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /**
   * Filters against every set seen, old or new: a verification that started before a reload may
   * finish after it, and its verdict is then filtered again when the newer set is next seen.
   */
  private follow(keySet: KeySet): void {
    if (keySet === this.keySet) return;
    this.keySet = keySet;
    for (const [token, entry] of this.entries) {
      if (!stillPublished(keySet, entry.key)) this.entries.delete(token);
    }
  }
}
