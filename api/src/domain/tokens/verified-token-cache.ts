import type { KeySet } from './key-set.js';

interface Entry<Claims> {
  claims: Claims;
  expiresAtMs: number;
}

/**
 * Remembers access tokens whose signature and claims were already checked, until they expire.
 * A client sends the same token with every request for its whole lifetime, and a signature check
 * costs more than the rest of a light request. Only the verdict "valid" is kept; the session and
 * account are still checked on every request. A new key set (rotation) clears it, so a token of a
 * retired key is never accepted from memory. Least recently used entries go first when full.
 */
export class VerifiedTokenCache<Claims> {
  private entries = new Map<string, Entry<Claims>>();
  private keySet: KeySet | undefined;

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, keySet: KeySet, nowMs: number): Claims | undefined {
    if (keySet !== this.keySet) {
      this.entries.clear();
      this.keySet = keySet;
      return undefined;
    }
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    this.entries.delete(token);
    if (nowMs >= entry.expiresAtMs) return undefined;
    this.entries.set(token, entry);
    return entry.claims;
  }

  set(token: string, keySet: KeySet, claims: Claims, expiresAtMs: number): void {
    if (keySet !== this.keySet) {
      this.entries.clear();
      this.keySet = keySet;
    }
    this.entries.set(token, { claims, expiresAtMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
