import { z } from 'zod';
import { parseDuration } from './duration.js';
import { isKeyPair } from './signing-key.js';
import { keyTimestamp, readKeyTimestamp } from './timestamp.js';

/**
 * One key of the key-set Secret, in the format the API reads (`api/src/domain/tokens/key-set.ts`),
 * plus the times rotation is measured from. The API ignores the extra fields; keeping every time in
 * the document is what lets a restarted operator carry on in the middle of a rotation.
 */
export interface StoredKey {
  kid: string;
  alg: 'EdDSA';
  state: 'next' | 'current' | 'previous';
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  createdAt: string;
  /** when it became current */
  activatedAt?: string;
  /** when it stopped being current */
  retiredAt?: string;
}

export interface KeySetDocument {
  keys: StoredKey[];
}

export interface RotationPolicy {
  /** How long a key stays current before its successor is published. */
  rotationIntervalMs: number;
  /** How long a published next key waits before it signs. */
  propagationDelayMs: number;
  /** How long a previous key keeps verifying after it stopped signing. */
  retentionMs: number;
}

/**
 * The waits of a rotation, from the spec and from how long changes take to reach everyone:
 * `propagationDelayMs`, until every API pod has read a changed Secret; `clockSkewMs`, how far a
 * verifier's clock may lag; `jwksCacheMs`, how long a verifier keeps a fetched JWKS.
 */
export function rotationPolicy(
  jwt: { rotationInterval: string; accessTokenTTL: string; previousKeyRetention: string },
  timing: { propagationDelayMs: number; clockSkewMs: number; jwksCacheMs: number },
): RotationPolicy {
  return {
    rotationIntervalMs: parseDuration(jwt.rotationInterval),
    // A verifier must hold the next key before any token is signed with it: every pod must have read
    // the Secret, and a verifier that fetched the JWKS just before the key was published must have
    // fetched it again.
    propagationDelayMs: timing.propagationDelayMs + timing.jwksCacheMs,
    // The spec's retention is a wish; the floor is what keeps live tokens valid. A pod keeps signing
    // with the old key until the promotion reaches it, its last token lives accessTokenTTL and is
    // accepted clockSkew longer; one JWKS cache lifetime more is margin that costs only a public key.
    retentionMs: Math.max(
      parseDuration(jwt.previousKeyRetention),
      timing.propagationDelayMs + parseDuration(jwt.accessTokenTTL) + timing.clockSkewMs + timing.jwksCacheMs,
    ),
  };
}

export interface RotationPlan {
  document: KeySetDocument;
  /** Whether `document` differs from the stored one (a step was taken, or unreadable times were set). */
  changed: boolean;
  /** what this step did */
  action: 'created' | 'published-next' | 'promoted' | 'retired-previous' | 'none';
  currentKid: string;
  /** when the current key was promoted (status.lastRotationTime) */
  lastRotationTime: string;
  /** when the next step is due: the reconciler requeues then */
  nextActionAt: Date;
}

type KeyState = StoredKey['state'];

/** The time each state is measured from: a key cannot be scheduled without it. */
const SINCE = { next: 'createdAt', current: 'activatedAt', previous: 'retiredAt' } as const;

/** A key and when it entered its state, in epoch milliseconds. */
interface Tracked {
  key: StoredKey;
  since: number;
}

function readable(text: string | undefined, nowStamp: string): string {
  return text !== undefined && readKeyTimestamp(text) !== undefined ? text : nowStamp;
}

/**
 * Reads when `key` entered its state. A missing or unreadable time is set to now: that can only
 * postpone what is measured from it, so a damaged document never retires a key early. The key object
 * is returned unchanged when nothing was repaired, which is how the planner tells that it was.
 */
function track(key: StoredKey, nowStamp: string): Tracked {
  const field = SINCE[key.state];
  const createdAt = readable(key.createdAt, nowStamp);
  const since = readable(key[field], nowStamp);
  const repaired = createdAt !== key.createdAt || since !== key[field];
  return { key: repaired ? { ...key, createdAt, [field]: since } : key, since: Date.parse(since) };
}

function waitIn(state: KeyState, policy: RotationPolicy): number {
  if (state === 'next') return policy.propagationDelayMs;
  if (state === 'current') return policy.rotationIntervalMs;
  return policy.retentionMs;
}

const dueAt = (tracked: Tracked, policy: RotationPolicy) => tracked.since + waitIn(tracked.key.state, policy);

function enter(key: StoredKey, state: KeyState, nowStamp: string): Tracked {
  return { key: { ...key, state, [SINCE[state]]: nowStamp }, since: Date.parse(nowStamp) };
}

function currentOf(keys: Tracked[]): Tracked {
  const current = keys.filter((tracked) => tracked.key.state === 'current');
  if (current.length !== 1 || !current[0]) {
    throw new Error(`a key set needs exactly one current key, found ${current.length}`);
  }
  return current[0];
}

interface Step {
  keys: Tracked[];
  action: RotationPlan['action'];
}

/** The one step due now, in the order that finishes a rotation before starting another. */
function step(
  keys: Tracked[],
  now: Date,
  policy: RotationPolicy,
  rotationRequested: boolean,
  generate: (state: 'next', now: Date) => StoredKey,
): Step {
  const nowStamp = keyTimestamp(now);
  const earliestDue = (state: KeyState) =>
    keys
      .filter((tracked) => tracked.key.state === state && dueAt(tracked, policy) <= now.getTime())
      .sort((a, b) => dueAt(a, policy) - dueAt(b, policy))[0];

  const retiring = earliestDue('previous');
  if (retiring) return { keys: keys.filter((tracked) => tracked !== retiring), action: 'retired-previous' };

  const promoting = earliestDue('next');
  if (promoting) {
    const promoted = keys.map((tracked) => {
      if (tracked === promoting) return enter(tracked.key, 'current', nowStamp);
      if (tracked.key.state === 'current') return enter(tracked.key, 'previous', nowStamp);
      return tracked;
    });
    return { keys: promoted, action: 'promoted' };
  }

  // One rotation at a time: a third key would only lengthen the JWKS, and a requested rotation that
  // retired the previous key early would reject the tokens it signed.
  const pending = keys.some((tracked) => tracked.key.state !== 'current');
  if (!pending && (rotationRequested || dueAt(currentOf(keys), policy) <= now.getTime())) {
    return { keys: [...keys, track(generate('next', now), nowStamp)], action: 'published-next' };
  }
  return { keys, action: 'none' };
}

function plan(
  keys: Tracked[],
  changed: boolean,
  action: RotationPlan['action'],
  now: Date,
  policy: RotationPolicy,
  requestPending: boolean,
): RotationPlan {
  const current = currentOf(keys);
  const pending = keys.filter((tracked) => tracked.key.state !== 'current');
  // While a rotation is under way the schedule, and any request, wait for it to finish.
  const deadlines = pending.length
    ? pending.map((tracked) => dueAt(tracked, policy))
    : [requestPending ? now.getTime() : dueAt(current, policy)];
  return {
    document: { keys: keys.map((tracked) => tracked.key) },
    changed,
    action,
    currentKid: current.key.kid,
    lastRotationTime: keyTimestamp(new Date(current.since)),
    nextActionAt: new Date(Math.max(now.getTime(), Math.min(...deadlines))),
  };
}

/**
 * The one step the stored key set needs at `now`; the reconciler writes `document` when `changed`,
 * then calls again at `nextActionAt`. All state is in the document, so the answer depends on nothing
 * but the arguments and an operator restarted between two calls continues where it stopped.
 *
 * A rotation request is honoured by a plan whose action is `published-next` (or `created`: a new
 * key set needs no rotation); until then the caller keeps passing it. It waits while a next or a
 * previous key is pending, and `nextActionAt` then says when that wait ends.
 */
export function planKeyRotation(input: {
  stored?: KeySetDocument;
  now: Date;
  policy: RotationPolicy;
  rotationRequested: boolean;
  generate: (state: 'next' | 'current', now: Date) => StoredKey;
}): RotationPlan {
  const { stored, now, policy, rotationRequested, generate } = input;
  const nowStamp = keyTimestamp(now);
  if (stored === undefined) {
    const first = track({ ...generate('current', now), activatedAt: nowStamp }, nowStamp);
    return plan([first], true, 'created', now, policy, false);
  }
  const keys = stored.keys.map((key) => track(key, nowStamp));
  // The API would refuse a set without exactly one current key: a caller bug, not something to guess at.
  currentOf(keys);
  const repaired = keys.some((tracked, index) => tracked.key !== stored.keys[index]);
  const { keys: after, action } = step(keys, now, policy, rotationRequested, generate);
  const requestPending = rotationRequested && action !== 'published-next';
  return plan(after, repaired || action !== 'none', action, now, policy, requestPending);
}

/**
 * Missing or unreadable times are kept unreadable ('' where the field is required) rather than
 * failing the document: the planner knows the time and repairs them.
 */
const optionalTime = z.string().optional().catch(undefined);

const storedKeySchema = z
  .object({
    kid: z.string().min(1),
    alg: z.literal('EdDSA'),
    state: z.enum(['next', 'current', 'previous']),
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string(),
    d: z.string(),
    createdAt: z.string().catch(''),
    activatedAt: optionalTime,
    retiredAt: optionalTime,
  })
  .refine(isKeyPair, 'x is not the public half of d');

// The API's own rules (exactly one current, unique kids): a document it would refuse is not ours.
const keySetSchema = z
  .object({ keys: z.array(storedKeySchema).min(1) })
  .refine((doc) => doc.keys.filter((key) => key.state === 'current').length === 1)
  .refine((doc) => new Set(doc.keys.map((key) => key.kid)).size === doc.keys.length);

/**
 * The key set stored in the Secret, or undefined when the text is not one (corrupt, hand-edited
 * beyond repair, or another format), so the caller can report it and start a new key set.
 */
export function parseStoredKeySet(text: string): KeySetDocument | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = keySetSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
