import { Environment } from '@marcbachmann/cel-js';
import type { JSONSchemaProps } from './custom-resource-schema.js';
import { fieldInvalid, type StatusCause } from './status-errors.js';

interface ValidationRule {
  rule: string;
  message?: string;
  optionalOldSelf?: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** CEL as kube-apiserver offers it to CRD rules: optionals on (for `optionalOldSelf`), variables untyped. */
const cel = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: true });
const optionalOf = (value: unknown): unknown =>
  value === undefined ? cel.evaluate('optional.none()', {}) : cel.evaluate('optional.of(value)', { value });

/** A rule that reads `oldSelf` is a transition rule. */
const TRANSITION = /\boldSelf\b/;

/**
 * The variables a rule is evaluated with, or undefined when it is not evaluated: a transition rule
 * runs only on an update where the old value exists, unless it has `optionalOldSelf`, when it runs
 * on a create too with `oldSelf` none.
 */
function bindings(rule: ValidationRule, self: unknown, old: unknown): Record<string, unknown> | undefined {
  if (rule.optionalOldSelf) return { self, oldSelf: optionalOf(old) };
  if (!TRANSITION.test(rule.rule)) return { self };
  return old === undefined ? undefined : { self, oldSelf: old };
}

/**
 * "Validation rules" (x-kubernetes-validations): each CEL rule is evaluated with `self` bound to the
 * value at its schema node (and `oldSelf` to the stored one's, on an update), and a rule that is not
 * true fails that field. kube-apiserver words the cause `Invalid value: <message>` (the value itself
 * left out), or names the rule when it has no message, and names the object's root `<nil>`. A rule
 * that cannot be evaluated fails the same way. Old values follow object fields and map keys, not
 * list items.
 */
export function celRuleCauses(
  schema: JSONSchemaProps,
  value: unknown,
  old: unknown = undefined,
  field = '',
): StatusCause[] {
  if (value === undefined || value === null) return [];
  const causes: StatusCause[] = [];
  for (const rule of (schema['x-kubernetes-validations'] as ValidationRule[] | undefined) ?? []) {
    const variables = bindings(rule, value, old);
    if (variables === undefined) continue;
    let holds = false;
    try {
      holds = cel.evaluate(rule.rule, variables) === true;
    } catch {
      holds = false;
    }
    if (!holds) {
      const cause = fieldInvalid(field === '' ? '<nil>' : field, null, '');
      causes.push({ ...cause, message: `Invalid value: ${rule.message ?? `failed rule: ${rule.rule}`}` });
    }
  }
  const child = (name: string) => (field === '' ? name : `${field}.${name}`);
  const oldChild = (name: string) => (isObject(old) ? old[name] : undefined);
  if (isObject(value)) {
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      causes.push(...celRuleCauses(property, value[name], oldChild(name), child(name)));
    if (isObject(schema.additionalProperties))
      for (const [name, inner] of Object.entries(value))
        if (!schema.properties?.[name])
          causes.push(...celRuleCauses(schema.additionalProperties, inner, oldChild(name), child(name)));
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    for (const [index, inner] of value.entries())
      causes.push(...celRuleCauses(items, inner, undefined, `${field}[${index}]`));
  }
  return causes;
}
