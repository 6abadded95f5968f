/**
 * Schema validation for synthesized Kubernetes objects — the test-time
 * substitute for `kubeconform -strict`.
 *
 * (a) Schema check: the object's apiVersion/kind is mapped to its
 *     kubernetes-models class and validated with the ajv validator that class
 *     ships (`_schemas/*.js`, ajv standalone code generated from the upstream
 *     OpenAPI definitions / CRD schemas).
 * (b) Strict unknown-field walk: kubernetes-models ships its schemas only as
 *     *compiled* ajv code, not JSON, so the declared property set is recovered
 *     from that same validator: the object is handed to it wrapped in Proxies
 *     that record every property the validator reads. Compiled ajv code reads
 *     `data.<prop>` for every property its schema declares, and enumerates the
 *     keys (`for (const k in data)`) where the schema has additionalProperties
 *     or patternProperties. So, at every object node:
 *       - keys enumerated by the validator → every key is allowed (map-like),
 *         and the walk continues into the values;
 *       - no key read at all → the schema declares no properties (free-form,
 *         e.g. x-kubernetes-preserve-unknown-fields, JSON, RawExtension) →
 *         everything below is allowed;
 *       - otherwise → a key the validator never read is not declared → problem.
 */
import type { Model } from '@kubernetes-models/base';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  LimitRange,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  ResourceQuota,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';

type ModelClass = {
  new (data?: object): Model<unknown>;
  apiVersion: string;
  kind: string;
  prototype: { validate(): void };
};

const MODELS: readonly ModelClass[] = [
  Namespace,
  ServiceAccount,
  Service,
  ConfigMap,
  Secret,
  Pod,
  PersistentVolumeClaim,
  LimitRange,
  ResourceQuota,
  Deployment,
  StatefulSet,
  DaemonSet,
  Job,
  CronJob,
  HorizontalPodAutoscaler,
  PodDisruptionBudget,
  NetworkPolicy,
  Ingress,
  IngressClass,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  CustomResourceDefinition,
  ServiceMonitor,
  PrometheusRule,
] as unknown as ModelClass[];

const MODEL_BY_TYPE = new Map<string, ModelClass>(MODELS.map((m) => [`${m.apiVersion}/${m.kind}`, m]));

/** Kinds validated elsewhere (the project's own CRD instances, checked against their zod/CRD schema). */
const SKIPPED_TYPES = new Set(['platform.skeleton.dev/v1alpha1/SkeletonApp']);

interface NodeRecord {
  read: Set<string>;
  enumerated: boolean;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Wraps `root` so every property read / key enumeration is recorded per JSON pointer. */
function track(root: unknown): { proxy: unknown; records: Map<string, NodeRecord> } {
  const records = new Map<string, NodeRecord>();
  const cache = new Map<string, unknown>();
  const wrap = (value: unknown, path: string): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const cached = cache.get(path);
    if (cached !== undefined) return cached;
    const record: NodeRecord = { read: new Set(), enumerated: false };
    records.set(path, record);
    const proxy = new Proxy(value as object, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        record.read.add(key);
        return Object.hasOwn(target, key) ? wrap(v, `${path}/${key}`) : v;
      },
      has(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === 'string') record.read.add(key);
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
    cache.set(path, proxy);
    return proxy;
  };
  return { proxy: wrap(root, ''), records };
}

/**
 * The generated JSONSchemaProps schema omits the Kubernetes `x-kubernetes-*`
 * extensions that the API server accepts in a CRD's openAPIV3Schema, and the
 * `description` field (lost where the generator stripped the definitions'
 * own descriptions); declare them here.
 */
const SCHEMA_EXTENSIONS = new Set([
  'description',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
]);
const isSchemaExtension = (path: string, key: string) =>
  SCHEMA_EXTENSIONS.has(key) && path.includes('/openAPIV3Schema');

/** Walks `value` and reports keys the validator never looked at. */
function unknownFields(value: unknown, path: string, records: Map<string, NodeRecord>, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      unknownFields(item, `${path}/${i}`, records, out);
    });
    return;
  }
  if (!isPlainRecord(value)) return;
  const record = records.get(path);
  // Never visited: the parent's schema did not descend here (free-form value).
  if (!record || (!record.enumerated && record.read.size === 0)) return;
  for (const [key, child] of Object.entries(value)) {
    if (!record.enumerated && !record.read.has(key) && !isSchemaExtension(path, key)) {
      out.push(`unknown field ${path}/${key}`);
      continue;
    }
    unknownFields(child, `${path}/${key}`, records, out);
  }
}

function describe(obj: unknown): string {
  if (!isPlainRecord(obj)) return '<not an object>';
  const meta = isPlainRecord(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === 'string' ? `${meta.namespace}/` : '';
  return `${String(obj.kind)} ${ns}${String(meta.name)}`;
}

/**
 * Validates one manifest object. Returns a list of problems (empty = valid),
 * each prefixed with `Kind namespace/name`.
 */
export function validateObject(obj: unknown): string[] {
  const label = describe(obj);
  if (!isPlainRecord(obj)) return [`${label}: manifest is not an object`];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return [`${label}: apiVersion and kind must be strings`];
  }
  const type = `${apiVersion}/${kind}`;
  if (SKIPPED_TYPES.has(type)) return [];
  const model = MODEL_BY_TYPE.get(type);
  if (!model) return [`${label}: unknown apiVersion/kind ${apiVersion} ${kind} (no schema)`];

  const problems: string[] = [];
  // Validate a plain JSON copy so class instances / undefined values behave like YAML would.
  const data: unknown = JSON.parse(JSON.stringify(obj));
  const { proxy, records } = track(data);
  try {
    // The model's validate() runs its compiled ajv schema on `this`; call it on the proxy.
    model.prototype.validate.call(proxy);
  } catch (err) {
    problems.push(`${label}: schema: ${err instanceof Error ? err.message : String(err)}`);
  }
  const unknown: string[] = [];
  unknownFields(data, '', records, unknown);
  for (const u of unknown) problems.push(`${label}: ${u}`);
  return problems;
}

/** Validates many objects; returns all problems. */
export function validateObjects(objs: readonly unknown[]): string[] {
  return objs.flatMap((o) => validateObject(o));
}
