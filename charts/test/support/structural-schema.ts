import { Environment } from '@marcbachmann/cel-js';
import { Ajv, type ValidateFunction } from 'ajv';
import type { SchemaNode } from '../../src/crd.js';

/**
 * Test helpers that stand in for kube-apiserver: a structural-schema checker, Ajv validators that
 * default and prune the way Kubernetes does, and a CEL runner for `x-kubernetes-validations`.
 */

const KUBERNETES_TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
/** What Kubernetes forbids inside allOf/anyOf/oneOf/not: those may carry value validations only. */
const FORBIDDEN_IN_JUNCTORS = ['type', 'nullable', 'default', 'additionalProperties', 'description'] as const;
const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;

const isNode = (value: unknown): value is SchemaNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Ajv as these tests use it: OpenAPI keywords known, `x-kubernetes-*` ignored, formats left to `pattern`. */
export function kubernetesAjv(options: { removeAdditional?: boolean } = {}): Ajv {
  return new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    useDefaults: true,
    logger: false,
    removeAdditional: options.removeAdditional ?? false,
  });
}

/**
 * Violations of the Kubernetes structural-schema rules (and of defaulting rules) in `schema`, each
 * as `<path>: <problem>`; an empty list means the schema is structural. `untyped` lists the paths
 * allowed to go without a `type` (none, by default).
 */
export function structuralViolations(schema: SchemaNode, untyped: readonly string[] = []): string[] {
  const violations: string[] = [];
  const ajv = kubernetesAjv();

  const checkJunctorBranch = (node: SchemaNode, where: string): void => {
    for (const keyword of FORBIDDEN_IN_JUNCTORS) {
      if (keyword in node) violations.push(`${where}: ${keyword} inside a junctor`);
    }
    for (const keyword of ['$ref', '$defs', 'definitions'] as const) {
      if (keyword in node) violations.push(`${where}: ${keyword} is not allowed`);
    }
    if (isNode(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) {
        if (isNode(child)) checkJunctorBranch(child, `${where}.${name}`);
      }
    }
    if (isNode(node.items)) checkJunctorBranch(node.items, `${where}[]`);
    for (const junctor of JUNCTORS) visitJunctor(node, junctor, where);
  };

  const visitJunctor = (node: SchemaNode, junctor: (typeof JUNCTORS)[number], where: string): void => {
    const value = node[junctor];
    if (value === undefined) return;
    const branches = Array.isArray(value) ? value : [value];
    branches.forEach((branch, index) => {
      if (isNode(branch)) checkJunctorBranch(branch, `${where}(${junctor}[${index}])`);
      else violations.push(`${where}: ${junctor} must hold schemas`);
    });
  };

  const visit = (node: SchemaNode, where: string): void => {
    for (const keyword of ['$ref', '$schema', '$defs', 'definitions', '$id'] as const) {
      if (keyword in node) violations.push(`${where}: ${keyword} is not allowed`);
    }

    const typeExempt =
      untyped.includes(where) ||
      node['x-kubernetes-int-or-string'] === true ||
      node['x-kubernetes-preserve-unknown-fields'] === true;
    if (node.type === undefined) {
      if (!typeExempt) violations.push(`${where}: missing type`);
    } else if (typeof node.type !== 'string' || !KUBERNETES_TYPES.has(node.type)) {
      violations.push(`${where}: type ${JSON.stringify(node.type)} is not one Kubernetes type`);
    }

    if ('nullable' in node) {
      if (typeof node.nullable !== 'boolean') violations.push(`${where}: nullable must be a boolean`);
      else if (node.type === undefined) violations.push(`${where}: nullable without a type`);
    }

    if (node.additionalProperties === false) {
      violations.push(`${where}: additionalProperties: false (Kubernetes prunes instead)`);
    } else if (node.additionalProperties !== undefined) {
      if (node.properties !== undefined) {
        violations.push(`${where}: additionalProperties together with properties`);
      }
      if (node.type !== undefined && node.type !== 'object') {
        violations.push(`${where}: additionalProperties on a non-object`);
      }
    }
    if (node.properties !== undefined && node.type !== undefined && node.type !== 'object') {
      violations.push(`${where}: properties on a non-object`);
    }
    if (node.type === 'array' && !isNode(node.items))
      violations.push(`${where}: an array needs one items schema`);
    if (node.items !== undefined && !isNode(node.items))
      violations.push(`${where}: items must be one schema`);

    for (const junctor of JUNCTORS) visitJunctor(node, junctor, where);

    if ('default' in node) {
      let validate: ValidateFunction | undefined;
      try {
        // A default must validate, and must already be pruned: unknown fields in it are errors.
        validate = ajv.compile(closed(withoutDefaults(node)));
      } catch (error) {
        violations.push(`${where}: schema does not compile (${(error as Error).message})`);
      }
      if (validate && !validate(structuredClone(node.default))) {
        violations.push(
          `${where}: default ${JSON.stringify(node.default)} is invalid: ${ajv.errorsText(validate.errors)}`,
        );
      }
    }

    if (isNode(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) {
        if (isNode(child)) visit(child, `${where}.${name}`);
        else violations.push(`${where}.${name}: not a schema`);
      }
    }
    if (isNode(node.additionalProperties)) visit(node.additionalProperties, `${where}.*`);
    if (isNode(node.items)) visit(node.items, `${where}[]`);
  };

  visit(schema, '');
  if (isNode(schema.properties) && isNode(schema.properties.metadata)) {
    const { type: _type, properties = {}, ...rest } = schema.properties.metadata;
    const named = Object.keys(isNode(properties) ? properties : {});
    if (Object.keys(rest).length > 0 || named.some((name) => name !== 'name' && name !== 'generateName'))
      violations.push('.metadata: only rules on name and generateName are allowed');
  }
  return violations;
}

/** A copy of `schema` without any `default`, so checking a default does not fill itself in. */
function withoutDefaults(schema: SchemaNode): SchemaNode {
  return mapNodes(schema, ({ default: _default, ...rest }) => rest);
}

/**
 * A copy of `schema` in which every object with `properties` (and no `additionalProperties`) is
 * closed with `additionalProperties: false`: the test's stand-in for Kubernetes pruning. Ajv then
 * rejects unknown fields, or removes them when it runs with `removeAdditional`.
 */
export function closed(schema: SchemaNode): SchemaNode {
  return mapNodes(schema, (node) =>
    isNode(node.properties) && node.additionalProperties === undefined
      ? { ...node, additionalProperties: false }
      : node,
  );
}

function mapNodes(schema: SchemaNode, change: (node: SchemaNode) => SchemaNode): SchemaNode {
  const node = change({ ...schema });
  if (isNode(node.properties)) {
    node.properties = Object.fromEntries(
      Object.entries(node.properties).map(([name, child]) => [
        name,
        isNode(child) ? mapNodes(child, change) : child,
      ]),
    );
  }
  if (isNode(node.additionalProperties))
    node.additionalProperties = mapNodes(node.additionalProperties, change);
  if (isNode(node.items)) node.items = mapNodes(node.items, change);
  return node;
}

export interface CelFailure {
  path: string;
  rule: string;
  message: string;
  /** Set when the rule did not evaluate to a boolean (an error in the rule or the library). */
  error?: string;
}

/** CEL as kube-apiserver offers it to CRD rules: optionals on (for `optionalOldSelf`), variables untyped. */
const cel = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: true });
/** What `oldSelf` is, under `optionalOldSelf`, when an object is created. */
const NO_OLD_SELF = cel.evaluate('optional.none()', {});

/**
 * Evaluates every `x-kubernetes-validations` rule in `schema` as on a create: `self` bound to the
 * value at the rule's node in `value` (skipping nodes absent from `value`, as kube-apiserver does)
 * and `oldSelf`, for a rule with `optionalOldSelf`, to none. Returns the rules that did not hold.
 * Integers become CEL ints (BigInt), as Kubernetes types them.
 */
export function celFailures(schema: SchemaNode, value: unknown, where = ''): CelFailure[] {
  const failures: CelFailure[] = [];
  if (value === undefined) return failures;
  const validations = schema['x-kubernetes-validations'];
  if (Array.isArray(validations)) {
    for (const validation of validations as { rule: string; message: string; optionalOldSelf?: boolean }[]) {
      const failure = { path: where, rule: validation.rule, message: validation.message };
      const self = toCel(schema, value);
      try {
        const result: unknown = cel.evaluate(
          validation.rule,
          validation.optionalOldSelf ? { self, oldSelf: NO_OLD_SELF } : { self },
        );
        if (result !== true) {
          failures.push(
            typeof result === 'boolean' ? failure : { ...failure, error: `gave ${String(result)}` },
          );
        }
      } catch (error) {
        failures.push({ ...failure, error: (error as Error).message });
      }
    }
  }
  if (isNode(value)) {
    if (isNode(schema.properties)) {
      for (const [name, child] of Object.entries(schema.properties)) {
        if (isNode(child)) failures.push(...celFailures(child, value[name], `${where}.${name}`));
      }
    }
    if (isNode(schema.additionalProperties)) {
      for (const [name, child] of Object.entries(value)) {
        failures.push(...celFailures(schema.additionalProperties, child, `${where}.${name}`));
      }
    }
  }
  if (Array.isArray(value) && isNode(schema.items)) {
    const items = schema.items;
    value.forEach((item, index) => {
      failures.push(...celFailures(items, item, `${where}[${index}]`));
    });
  }
  return failures;
}

function toCel(schema: SchemaNode, value: unknown): unknown {
  if (schema.type === 'integer' && typeof value === 'number') return BigInt(value);
  if (Array.isArray(value))
    return value.map((item) => (isNode(schema.items) ? toCel(schema.items, item) : item));
  if (isNode(value)) {
    const properties = isNode(schema.properties) ? schema.properties : {};
    return Object.fromEntries(
      Object.entries(value).map(([name, child]) => {
        const childSchema = properties[name] ?? schema.additionalProperties;
        return [name, isNode(childSchema) ? toCel(childSchema, child) : child];
      }),
    );
  }
  return value;
}

/**
 * Every schema node below `schema` with its path, as kubectl explain names fields: `.spec.config`,
 * `.spec.config.*` (a map's values), `.spec.migrations.command[]` (a list's items).
 */
export function* schemaNodes(schema: SchemaNode, where = ''): Generator<[string, SchemaNode]> {
  yield [where, schema];
  if (isNode(schema.properties))
    for (const [name, child] of Object.entries(schema.properties))
      if (isNode(child)) yield* schemaNodes(child, `${where}.${name}`);
  if (isNode(schema.additionalProperties)) yield* schemaNodes(schema.additionalProperties, `${where}.*`);
  if (isNode(schema.items)) yield* schemaNodes(schema.items, `${where}[]`);
}
