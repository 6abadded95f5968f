import { createHash } from 'node:crypto';
import {
  type KubernetesObject,
  renderSkeletonApp,
  type SkeletonAppSpec,
  skeletonAppNameSchema,
  skeletonAppSpecSchema,
} from '@skeleton/charts';

/**
 * On every object the operator applies: a fingerprint of the configuration it applied. When the
 * live object carries the fingerprint of what would be applied now, nothing is sent, which is what
 * keeps a resync of an unchanged cluster at zero writes.
 */
export const APPLIED_HASH_ANNOTATION = 'platform.skeleton.dev/applied-hash';

/** The Secret holding an app's JWT key set. */
export const keySetSecretName = (appName: string) => `${appName}-jwt-keys`;

export interface SkeletonAppObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: unknown;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

export type SpecProblem = { path: string; message: string };

export type ParsedSpec = { ok: true; spec: SkeletonAppSpec } | { ok: false; problems: SpecProblem[] };

/**
 * The spec as charts defines it, defaults applied, of an app whose name its children can carry. The
 * CRD rejects what zod rejects, so a failure means the app was created under an older or newer CRD
 * than this operator's; it is reported, never thrown.
 */
export function parseSpec(app: SkeletonAppObject): ParsedSpec {
  const name = app.metadata?.name;
  const nameIssues = name === undefined ? [] : (skeletonAppNameSchema.safeParse(name).error?.issues ?? []);
  const parsed = skeletonAppSpecSchema.safeParse(app.spec ?? {});
  const problems = [
    ...nameIssues.map((issue) => ({ path: 'metadata.name', message: issue.message })),
    ...(parsed.error?.issues ?? []).map((issue) => ({
      path: ['spec', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  ];
  if (parsed.success && problems.length === 0) return { ok: true, spec: parsed.data };
  return { ok: false, problems };
}

function fingerprint(object: KubernetesObject): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 16);
}

export interface DesiredContext {
  /** The image the Deployment may run. */
  approvedImage: string;
  serviceMonitorAvailable: boolean;
}

/** Everything the app should consist of, each object stamped with the fingerprint of its configuration. */
export function desiredObjects(
  app: { name: string; namespace: string; uid: string },
  spec: SkeletonAppSpec,
  context: DesiredContext,
): KubernetesObject[] {
  const rendered = renderSkeletonApp(
    { name: app.name, namespace: app.namespace, uid: app.uid, spec },
    {
      approvedImage: context.approvedImage,
      keySetSecretName: keySetSecretName(app.name),
      serviceMonitorAvailable: context.serviceMonitorAvailable,
      ownerReference: true,
    },
  );
  return rendered.map((object) => ({
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [APPLIED_HASH_ANNOTATION]: fingerprint(object) },
    },
  }));
}

type LiveChild = { metadata?: { annotations?: Record<string, string>; resourceVersion?: string } };

/**
 * Whether the live object needs no apply: it carries the fingerprint of what would be applied now,
 * and either its resourceVersion is the one our last apply returned, or (someone else wrote it since:
 * a controller's status, kubectl) every field we set still has our value. Otherwise a field of ours
 * drifted, or this operator never applied it (a new leader), and it is applied again.
 */
export function isUpToDate(
  desired: KubernetesObject,
  live: LiveChild | undefined,
  appliedResourceVersion: string | undefined,
): boolean {
  const wanted = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  return (
    live !== undefined &&
    wanted !== undefined &&
    live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === wanted &&
    (live.metadata?.resourceVersion === appliedResourceVersion || holdsDesired(desired, live))
  );
}

/**
 * Whether every field `desired` sets has that value in `live`: lists item by item, maps key by key,
 * whatever else others (defaulting, controllers, kubectl) added beside them.
 */
export function holdsDesired(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired))
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((item, i) => holdsDesired(item, live[i]))
    );
  if (desired !== null && typeof desired === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const record = live as Record<string, unknown>;
    return Object.entries(desired).every(([key, value]) => holdsDesired(value, record[key]));
  }
  return desired === live;
}

/** What an apply did, for the metric and the Applied event. */
export type ApplyOutcome = 'created' | 'updated' | 'drift_corrected' | 'unchanged';

/**
 * The apply's effect, judged against the cached live object: a newer resourceVersion alone can be
 * someone else's change the cache had not seen yet (the autoscaler scaling, a status write), so a
 * change counts as ours only when the cached object lacked some field we set.
 */
export function applyOutcome(
  desired: KubernetesObject,
  live: LiveChild | undefined,
  storedResourceVersion: string | undefined,
): ApplyOutcome {
  if (live === undefined) return 'created';
  if (storedResourceVersion === live.metadata?.resourceVersion || holdsDesired(desired, live))
    return 'unchanged';
  const wanted = desired.metadata.annotations?.[APPLIED_HASH_ANNOTATION];
  return live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === wanted ? 'drift_corrected' : 'updated';
}
