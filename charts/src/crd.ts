import { z } from 'zod';
import { SKELETON_APP } from './api-group.js';
import { APP_NAME_VALIDATION } from './app-name.js';
import { CROSS_FIELD_RULES, type CrossFieldRule, skeletonAppStatusSchema, specSchema } from './spec.js';

/**
 * The SkeletonApp CustomResourceDefinition, generated from the zod schemas in spec.ts so the
 * kube-apiserver validates (and defaults) exactly what the operator parses.
 */

/** A JSON Schema node, as zod emits it and as the CRD carries it. */
export type SchemaNode = { [keyword: string]: unknown };

/** The types a Kubernetes structural schema may name. */
const KUBERNETES_TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** Keywords dropped everywhere: Kubernetes forbids or ignores them. */
const DROPPED = ['$schema', '$id', 'id', '$defs', 'definitions'] as const;

const isNode = (value: unknown): value is SchemaNode =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNullBranch = (node: SchemaNode): boolean =>
  node.type === 'null' ||
  (Array.isArray(node.enum) && node.enum.length === 1 && node.enum[0] === null && node.type === undefined);

function typeOfEnum(values: readonly unknown[], where: string): string {
  const types = new Set(
    values
      .filter((value) => value !== null)
      .map((value) =>
        typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value,
      ),
  );
  if (types.has('number')) types.delete('integer');
  const [only, ...rest] = [...types];
  if (only === undefined || rest.length > 0 || !KUBERNETES_TYPES.has(only)) {
    throw new Error(`${where}: cannot give enum ${JSON.stringify(values)} a single Kubernetes type`);
  }
  return only;
}

/**
 * Turns one zod-emitted JSON Schema (target openapi-3.0) into a Kubernetes structural schema:
 * - `$ref`s are inlined from the root's `definitions`/`$defs` (a recursive schema is refused), and
 *   `$schema`, `$id`, `$defs` and `definitions` are dropped;
 * - `anyOf`/`oneOf` are flattened: null branches become `nullable: true`, and what is left must be
 *   one branch (merged with its siblings) or enum-only branches of one type (merged into one enum);
 *   any other union — and any `allOf` or `not` — is refused rather than emitted unstructurally;
 * - `const` becomes a one-value `enum`, a `type` array such as `['string', 'null']` becomes one type
 *   plus `nullable`, and an `enum` without a `type` (what `z.enum` emits) gets the type of its values;
 * - `additionalProperties: false` is dropped (Kubernetes prunes unknown fields instead), while a map's
 *   `additionalProperties: {schema}` stays; `true` becomes `x-kubernetes-preserve-unknown-fields`.
 * Everything else (`default`, `pattern`, `format`, `minimum`, `maximum`, `maxLength`, `enum`,
 * `items`, `required`, `description`, ...) is kept.
 */
export function toStructuralSchema(jsonSchema: SchemaNode): SchemaNode {
  const definitions: Record<string, unknown> = {
    ...(isNode(jsonSchema.definitions) ? jsonSchema.definitions : {}),
    ...(isNode(jsonSchema.$defs) ? jsonSchema.$defs : {}),
  };

  const resolve = (ref: string, where: string): SchemaNode => {
    const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
    const target = match?.[1] === undefined ? undefined : definitions[match[1]];
    if (!isNode(target)) throw new Error(`${where}: cannot resolve $ref ${ref}`);
    return target;
  };

  const walk = (input: SchemaNode, where: string, refs: readonly string[]): SchemaNode => {
    let node: SchemaNode = { ...input };
    for (const keyword of DROPPED) delete node[keyword];

    if (typeof node.$ref === 'string') {
      const ref = node.$ref;
      if (refs.includes(ref))
        throw new Error(`${where}: recursive $ref ${ref} cannot be a structural schema`);
      const { $ref: _ref, ...siblings } = node;
      return walk({ ...resolve(ref, where), ...siblings }, where, [...refs, ref]);
    }

    for (const junctor of ['allOf', 'not'] as const) {
      if (node[junctor] !== undefined) throw new Error(`${where}: ${junctor} is not supported in the CRD`);
    }

    for (const junctor of ['anyOf', 'oneOf'] as const) {
      const branches = node[junctor];
      if (branches === undefined) continue;
      if (!Array.isArray(branches) || !branches.every(isNode))
        throw new Error(`${where}: malformed ${junctor}`);
      const { [junctor]: _branches, ...siblings } = node;
      const nullable = branches.some(isNullBranch);
      const rest = branches.filter((branch) => !isNullBranch(branch)).map((b) => walk(b, where, refs));
      let merged: SchemaNode;
      const [first, ...others] = rest;
      if (first === undefined) {
        throw new Error(`${where}: a union of only null has no Kubernetes type`);
      } else if (others.length === 0) {
        merged = { ...first, ...siblings };
      } else if (
        rest.every((branch) => Array.isArray(branch.enum) && branch.type === first.type) &&
        rest.every((branch) => Object.keys(branch).every((key) => key === 'enum' || key === 'type'))
      ) {
        merged = { ...siblings, type: first.type, enum: rest.flatMap((branch) => branch.enum as unknown[]) };
      } else {
        throw new Error(`${where}: the union in ${junctor} is not a structural schema; use one type`);
      }
      if (nullable) merged.nullable = true;
      node = merged;
    }

    if ('const' in node) {
      const { const: value, ...rest } = node;
      node = { ...rest, enum: [value] };
    }

    if (Array.isArray(node.type)) {
      const types = node.type.filter((type) => type !== 'null');
      if (types.length !== 1) throw new Error(`${where}: type ${JSON.stringify(node.type)} is a union`);
      if (types.length !== node.type.length) node.nullable = true;
      node.type = types[0];
    }
    if (node.type === undefined && Array.isArray(node.enum)) {
      if (node.enum.includes(null)) node.nullable = true;
      node.type = typeOfEnum(node.enum, where);
    }
    if (node.type === 'null') throw new Error(`${where}: type null has no Kubernetes equivalent`);

    if (node.additionalProperties === false) delete node.additionalProperties;
    else if (node.additionalProperties === true) {
      delete node.additionalProperties;
      node['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (isNode(node.additionalProperties)) {
      if (node.properties !== undefined) {
        throw new Error(`${where}: properties and additionalProperties cannot be combined in a CRD`);
      }
      node.additionalProperties = walk(node.additionalProperties, `${where}.*`, refs);
    }

    if (isNode(node.properties)) {
      node.properties = Object.fromEntries(
        Object.entries(node.properties).map(([name, child]) => {
          if (!isNode(child)) throw new Error(`${where}.${name}: not a schema`);
          return [name, walk(child, `${where}.${name}`, refs)];
        }),
      );
    }
    if (node.items !== undefined) {
      if (!isNode(node.items)) throw new Error(`${where}[]: items must be one schema`);
      node.items = walk(node.items, `${where}[]`, refs);
    }
    return node;
  };

  return walk(jsonSchema, '', []);
}

/** The JSON Schema zod emits for `schema`, as a CRD reads its input. */
export function zodToStructuralSchema(schema: z.ZodType): SchemaNode {
  return toStructuralSchema(z.toJSONSchema(schema, { io: 'input', target: 'openapi-3.0' }) as SchemaNode);
}

/** Adds each rule as an `x-kubernetes-validations` entry on the node at `rule.path` under `spec`. */
export function withCrossFieldRules(spec: SchemaNode, rules: readonly CrossFieldRule[]): SchemaNode {
  const copy = structuredClone(spec);
  for (const rule of rules) {
    let node = copy;
    for (const segment of rule.path) {
      const child = isNode(node.properties) ? node.properties[segment] : undefined;
      if (!isNode(child)) throw new Error(`no spec.${rule.path.join('.')} for the rule ${rule.cel}`);
      node = child;
    }
    const validations = Array.isArray(node['x-kubernetes-validations'])
      ? node['x-kubernetes-validations']
      : [];
    node['x-kubernetes-validations'] = [...validations, { rule: rule.cel, message: rule.message }];
  }
  return copy;
}

/** The schema of a whole SkeletonApp object, as the CRD's openAPIV3Schema. */
export function skeletonAppOpenApiSchema(): SchemaNode {
  return {
    type: 'object',
    description:
      'A SkeletonApp runs the skeleton user/auth API: the operator makes its Deployment, Service, autoscaler, migration Job, signing keys and policies, gates each release on its migration, and reports in the status. Its name names them all, so it must be a DNS-1035 label of at most 55 characters (63 less the -metrics suffix of its metrics Service).',
    properties: {
      // The API conventions' own words, as kube-apiserver gives them for types of its own. It refuses
      // anything on metadata but rules for name and generateName, and documents metadata itself.
      apiVersion: {
        type: 'string',
        description:
          'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      },
      kind: {
        type: 'string',
        description:
          'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
      metadata: { type: 'object' },
      spec: withCrossFieldRules(zodToStructuralSchema(specSchema), CROSS_FIELD_RULES),
      status: withConditionsAsMap(zodToStructuralSchema(skeletonAppStatusSchema)),
    },
    required: ['spec'],
    'x-kubernetes-validations': [APP_NAME_VALIDATION],
  };
}

/**
 * Conditions are a list keyed by type: marked so, server-side apply merges one condition per type
 * instead of replacing the list, and two writers of different conditions do not clobber each other.
 */
function withConditionsAsMap(status: SchemaNode): SchemaNode {
  const properties = status.properties as Record<string, SchemaNode>;
  return {
    ...status,
    properties: {
      ...properties,
      conditions: {
        ...properties.conditions,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      },
    },
  };
}

/** The `apiextensions.k8s.io/v1` CustomResourceDefinition of SkeletonApp, as a plain JSON object. */
export function skeletonAppCrd(): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${SKELETON_APP.plural}.${SKELETON_APP.group}` },
    spec: {
      group: SKELETON_APP.group,
      scope: 'Namespaced',
      names: {
        kind: SKELETON_APP.kind,
        listKind: `${SKELETON_APP.kind}List`,
        plural: SKELETON_APP.plural,
        singular: SKELETON_APP.singular,
        shortNames: [...SKELETON_APP.shortNames],
        categories: ['all', 'skeleton'],
      },
      versions: [
        {
          name: SKELETON_APP.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'IMAGE', type: 'string', jsonPath: '.spec.image' },
            { name: 'READY', type: 'string', jsonPath: '.status.ready' },
            { name: 'STATUS', type: 'string', jsonPath: '.status.phase' },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: skeletonAppOpenApiSchema() },
        },
      ],
    },
  };
}
