/**
 * Field names whose values never reach a log line, wherever they sit in the logged object.
 * Compared in lower case: header names arrive in either case. `d` is the private half of a JWK.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'currentpassword',
  'newpassword',
  'passwordhash',
  'password_hash',
  'refreshtoken',
  'accesstoken',
  'token',
  'd',
  'privatekey',
  'authorization',
  'cookie',
  'set-cookie',
]);

export const CENSOR = '[redacted]';

/**
 * Below this depth nothing is proven free of secrets, so the rest is censored whole. Log lines
 * are shallow; only a logged foreign structure reaches it.
 */
const MAX_DEPTH = 16;

const isPlainObject = (value: object) => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** Errors are walked too (their extra fields are enumerable); other class instances keep their own form. */
const isWalkable = (value: object) => Array.isArray(value) || isPlainObject(value) || value instanceof Error;

/** Keeps an error an error (message, stack and prototype), which pino's serializer needs. */
const shallowCopy = (value: object): Record<string, unknown> =>
  value instanceof Error
    ? Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value))
    : { ...value };

/** `cause` given to the Error constructor is not enumerable, yet pino logs it. */
const keysOf = (value: object) =>
  value instanceof Error && Object.hasOwn(value, 'cause') && !Object.keys(value).includes('cause')
    ? [...Object.keys(value), 'cause']
    : Object.keys(value);

function redactArray(items: unknown[], depth: number, ancestors: object[]): unknown[] {
  let copy: unknown[] | undefined;
  items.forEach((item, index) => {
    const redacted = redactValue(item, depth + 1, ancestors);
    if (redacted !== item) {
      copy ??= items.slice();
      copy[index] = redacted;
    }
  });
  return copy ?? items;
}

function redactFields(value: object, depth: number, ancestors: object[]): object {
  const fields = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of keysOf(value)) {
    const inner = fields[key];
    const redacted =
      SECRET_KEYS.has(key.toLowerCase()) && inner !== undefined
        ? CENSOR
        : redactValue(inner, depth + 1, ancestors);
    if (redacted !== inner) {
      copy ??= shallowCopy(value);
      copy[key] = redacted;
    }
  }
  return copy ?? value;
}

function redactValue(value: unknown, depth: number, ancestors: object[]): unknown {
  if (typeof value !== 'object' || value === null || !isWalkable(value)) return value;
  // A cycle: pino's serializer writes "[Circular]" for it.
  if (ancestors.includes(value)) return value;
  if (depth >= MAX_DEPTH) return CENSOR;
  ancestors.push(value);
  try {
    return Array.isArray(value)
      ? redactArray(value, depth, ancestors)
      : redactFields(value, depth, ancestors);
  } finally {
    ancestors.pop();
  }
}

/**
 * The object with every secret field censored, at any depth. Copy on write: an object holding no
 * secret comes back as it is, so the access line of a request costs one pass over its few fields.
 */
export function redactSecrets<T extends object>(value: T): T {
  return redactValue(value, 0, []) as T;
}
