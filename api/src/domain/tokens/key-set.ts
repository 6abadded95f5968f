import { createSecretKey, hkdfSync, type KeyObject, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as jose from 'jose';
import { z } from 'zod';

export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const KEY_STATES = ['next', 'current', 'previous'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/**
 * One private JWK of the key-set file. `state` says what the key may do: `next` is published
 * but only verifies, `current` signs (exactly one), `previous` verifies until it is retired.
 */
const keyEntrySchema = z
  .object({
    kid: z.string().min(1),
    alg: z.enum(SIGNING_ALGORITHMS),
    state: z.enum(KEY_STATES),
    kty: z.enum(['OKP', 'EC']),
    crv: z.enum(['Ed25519', 'P-256']),
    x: z.string().min(1),
    y: z.string().min(1).optional(),
    d: z.string().min(1),
  })
  .loose()
  .refine((key) => (key.alg === 'EdDSA' ? key.kty === 'OKP' && key.crv === 'Ed25519' : key.kty === 'EC'), {
    message: 'alg does not match the key type (EdDSA needs OKP/Ed25519, ES256 needs EC/P-256)',
  });

const keySetDocumentSchema = z.object({ keys: z.array(keyEntrySchema).min(1) }).superRefine((doc, ctx) => {
  const current = doc.keys.filter((key) => key.state === 'current').length;
  if (current !== 1)
    ctx.addIssue({ code: 'custom', message: `needs exactly one current key, found ${current}` });
  const kids = doc.keys.map((key) => key.kid);
  if (new Set(kids).size !== kids.length)
    ctx.addIssue({ code: 'custom', message: 'key ids (kid) must be unique' });
});

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  state: KeyState;
  privateKey: jose.CryptoKey;
  publicKey: jose.CryptoKey;
  publicJwk: jose.JWK;
  /**
   * A symmetric secret for what the API seals for itself (the successor of a rotated refresh
   * token), derived from the private key so that it needs no store of its own and rotates with it.
   * A KeyObject, so that no log line or JSON can ever print it.
   */
  sealingSecret: KeyObject;
}

export interface KeySet {
  current: SigningKey;
  byKid: ReadonlyMap<string, SigningKey>;
  /** Public JWKs of every key that may verify, as served at /.well-known/jwks.json. */
  jwks: { keys: jose.JWK[] };
}

export class KeySetError extends Error {
  override name = 'KeySetError';
}

/** HKDF with its own label: the derived secret reveals nothing about the signing key. */
function deriveSealingSecret(d: string): KeyObject {
  const derived = hkdfSync('sha256', Buffer.from(d, 'base64url'), '', 'skeleton.sealing-secret', 32);
  return createSecretKey(Buffer.from(derived));
}

async function importEntry(entry: z.infer<typeof keyEntrySchema>): Promise<SigningKey> {
  const { kid, alg, state, kty, crv, x, y } = entry;
  const publicJwk: jose.JWK = { kty, crv, x, ...(y ? { y } : {}), kid, alg, use: 'sig' };
  const privateKey = (await jose.importJWK({ kty, crv, x, y, d: entry.d }, alg)) as jose.CryptoKey;
  const publicKey = (await jose.importJWK(publicJwk, alg)) as jose.CryptoKey;
  const sealingSecret = deriveSealingSecret(entry.d);
  return { kid, alg, state, privateKey, publicKey, publicJwk, sealingSecret };
}

/** Validates a key-set document (the JWT_KEYS_FILE format the operator's Secret holds). */
export async function parseKeySet(document: unknown): Promise<KeySet> {
  const parsed = keySetDocumentSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'keys'}: ${issue.message}`,
    );
    throw new KeySetError(`invalid key set: ${problems.join('; ')}`);
  }
  let keys: SigningKey[];
  try {
    keys = await Promise.all(parsed.data.keys.map(importEntry));
  } catch (error) {
    throw new KeySetError(`invalid key set: a key could not be imported (${(error as Error).message})`);
  }
  const current = keys.find((key) => key.state === 'current') as SigningKey;
  return {
    current,
    byKid: new Map(keys.map((key) => [key.kid, key])),
    jwks: { keys: keys.map((key) => key.publicJwk) },
  };
}

/** The file's text, so a reloader can tell an unchanged file from a new one before parsing it. */
export async function readKeySetText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new KeySetError(
      `cannot read JWT_KEYS_FILE ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

export async function parseKeySetText(text: string, path: string): Promise<KeySet> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the error, which is key material.
    throw new KeySetError(`JWT_KEYS_FILE ${path} is not valid JSON`);
  }
  return parseKeySet(document);
}

/** A fresh private JWK in the key-set format; used for development keys and by tests. */
export async function generateKeyEntry(
  state: KeyState,
  alg: SigningAlgorithm = 'EdDSA',
): Promise<jose.JWK & { kid: string; alg: SigningAlgorithm; state: KeyState }> {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: randomUUID(), alg, state };
}
