import { z } from 'zod';

/** What a map's keys must be, and what both checks say when one is not. */
export interface MapKeys {
  maxLength: number;
  /** A regular expression that reads the same in JavaScript and in CEL (RE2): no `\` and no `'`. */
  pattern?: RegExp;
  message: string;
}

/**
 * A map of at most `maxProperties` entries whose keys follow `keys`, written once for both sides. A
 * structural schema cannot check map keys (it has no propertyNames), so zod checks each key and the
 * CRD carries the same length and pattern as a CEL rule on the map; `maxProperties` is checked by
 * zod and emitted for the CRD.
 */
export function boundedMap<V extends z.ZodType>(keys: MapKeys, values: V, maxProperties: number) {
  const length = z.string().max(keys.maxLength);
  const key = keys.pattern ? length.regex(keys.pattern) : length;
  const keyRule = [
    `size(k) <= ${keys.maxLength}`,
    ...(keys.pattern ? [`k.matches('${keys.pattern.source}')`] : []),
  ].join(' && ');
  return (
    z
      // zod reports a bad key as the record's own issue, at the key's path: it carries the message.
      .record(key, values, { error: (issue) => (issue.code === 'invalid_key' ? keys.message : undefined) })
      .refine((map) => Object.keys(map).length <= maxProperties, `must have at most ${maxProperties} entries`)
      .meta({
        maxProperties,
        'x-kubernetes-validations': [{ rule: `self.all(k, ${keyRule})`, message: keys.message }],
      })
  );
}
