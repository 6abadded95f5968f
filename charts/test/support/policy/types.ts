/**
 * Shared types and helpers for the policy rules (checklist G).
 *
 * Objects are plain manifests (what the charts synthesize); helpers view them
 * through the kubernetes-models interfaces without validating them.
 */
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

export interface Violation {
  ruleId: string;
  kind: string;
  namespace?: string;
  name: string;
  message: string;
}

export interface Rule {
  id: string;
  description: string;
  check(objects: KubernetesObject[]): Violation[];
}

export function violation(ruleId: string, obj: KubernetesObject, message: string): Violation {
  const v: Violation = { ruleId, kind: obj.kind, name: obj.metadata?.name ?? '<unnamed>', message };
  if (obj.metadata?.namespace !== undefined) v.namespace = obj.metadata.namespace;
  return v;
}

export function formatViolation(v: Violation): string {
  const ns = v.namespace ? `${v.namespace}/` : '';
  return `[${v.ruleId}] ${v.kind} ${ns}${v.name}: ${v.message}`;
}

export const nsOf = (obj: KubernetesObject): string => obj.metadata?.namespace ?? '';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A workload's pod template, with the object that owns it. */
export interface PodTemplate {
  owner: KubernetesObject;
  labels: Record<string, string>;
  spec: IPodSpec;
}

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** The pod template of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob), if any. */
export function podTemplateOf(obj: KubernetesObject): PodTemplate | undefined {
  let spec: unknown = obj.spec;
  if (obj.kind === 'CronJob') {
    const jobTemplate = isRecord(spec) ? spec.jobTemplate : undefined;
    spec = isRecord(jobTemplate) ? jobTemplate.spec : undefined;
  } else if (!TEMPLATE_KINDS.has(obj.kind)) {
    return undefined;
  }
  const template = isRecord(spec) ? spec.template : undefined;
  if (!isRecord(template) || !isRecord(template.spec)) return undefined;
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const labels = isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {};
  return { owner: obj, labels, spec: template.spec as unknown as IPodSpec };
}

export function podTemplates(objects: KubernetesObject[]): PodTemplate[] {
  return objects.flatMap((o) => podTemplateOf(o) ?? []);
}

/** Init containers and containers of a pod spec. */
export function allContainers(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

export const byKind = (objects: KubernetesObject[], kind: string): KubernetesObject[] =>
  objects.filter((o) => o.kind === kind);

export function specOf<T>(obj: KubernetesObject): Partial<T> {
  return (isRecord(obj.spec) ? obj.spec : {}) as Partial<T>;
}

/** Label selector semantics (matchLabels AND matchExpressions); an empty selector selects everything. */
export function selectorMatches(
  selector: ILabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const values = expr.values ?? [];
    const value = labels[expr.key];
    switch (expr.operator) {
      case 'In':
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A plain map selector (Service.spec.selector): every pair must be present; an empty map selects nothing. */
export function mapSelectorMatches(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}
