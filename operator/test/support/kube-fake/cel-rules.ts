import { evaluate } from '@marcbachmann/cel-js';
import type { JSONSchemaProps } from './custom-resource-schema.js';
import { fieldInvalid, type StatusCause } from './status-errors.js';

interface ValidationRule {
  rule: string;
  message?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * "Validation rules" (x-kubernetes-validations): each CEL rule is evaluated with `self` bound to the
 * value at its schema node, and a rule that is not true fails that field. kube-apiserver words the
 * cause `Invalid value: <message>` (the value itself left out), or names the rule when it has no
 * message. A rule that cannot be evaluated fails the same way.
 */
export function celRuleCauses(schema: JSONSchemaProps, value: unknown, field = ''): StatusCause[] {
  if (value === undefined || value === null) return [];
  const causes: StatusCause[] = [];
  for (const { rule, message } of (schema['x-kubernetes-validations'] as ValidationRule[] | undefined) ??
    []) {
    let holds = false;
    try {
      holds = evaluate(rule, { self: value }) === true;
    } catch {
      holds = false;
    }
    if (!holds) {
      const cause = fieldInvalid(field, null, '');
      causes.push({ ...cause, message: `Invalid value: ${message ?? `failed rule: ${rule}`}` });
    }
  }
  const child = (name: string) => (field === '' ? name : `${field}.${name}`);
  if (isObject(value)) {
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      causes.push(...celRuleCauses(property, value[name], child(name)));
    if (isObject(schema.additionalProperties))
      for (const [name, inner] of Object.entries(value))
        if (!schema.properties?.[name])
          causes.push(...celRuleCauses(schema.additionalProperties, inner, child(name)));
  }
  if (Array.isArray(value) && schema.items) {
    const items = schema.items;
    for (const [index, inner] of value.entries())
      causes.push(...celRuleCauses(items, inner, `${field}[${index}]`));
  }
  return causes;
}
