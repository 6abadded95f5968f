import { SKELETON_APP, SKELETON_APP_API_VERSION } from '../api-group.js';
import { type Component, commonLabels } from './labels.js';
import type { ObjectMeta, OwnerReference, RenderContext, SkeletonAppRef } from './types.js';

/** Everything a module needs to build its objects. */
export interface RenderInput {
  app: SkeletonAppRef;
  context: RenderContext;
}

/** Names derived from the app's name, in one place so cross-references cannot drift apart. */
export function names(appName: string) {
  return {
    deployment: appName,
    service: appName,
    metricsService: `${appName}-metrics`,
    serviceAccount: appName,
    configMap: `${appName}-config`,
    autoscaler: appName,
    disruptionBudget: appName,
    networkPolicy: appName,
    serviceMonitor: appName,
    ingress: appName,
  } as const;
}

/** The controller reference that lets Kubernetes garbage-collect the objects with the SkeletonApp. */
export function ownerReferences({ app, context }: RenderInput): OwnerReference[] | undefined {
  if (!context.ownerReference) return undefined;
  if (!app.uid)
    throw new Error(`SkeletonApp ${app.namespace}/${app.name}: ownerReference needs the app's uid`);
  return [
    {
      apiVersion: SKELETON_APP_API_VERSION,
      kind: SKELETON_APP.kind,
      name: app.name,
      uid: app.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ];
}

/**
 * Metadata with an explicit name (so cdk8s never appends its construct-path hash) and the namespace
 * set on every object (so the output applies the same whatever the client's current namespace).
 */
export function objectMeta(
  input: RenderInput,
  name: string,
  /** `image`: the image the object runs, for its version label; only what runs one has it. */
  options: { component?: Component; image?: string; extraLabels?: Record<string, string> } = {},
): ObjectMeta {
  const owners = ownerReferences(input);
  return {
    name,
    namespace: input.app.namespace,
    // Extra labels first: they may add to the standard labels but never replace them.
    labels: { ...options.extraLabels, ...commonLabels(input.app.name, options.image, options.component) },
    ...(owners ? { ownerReferences: owners } : {}),
  };
}
