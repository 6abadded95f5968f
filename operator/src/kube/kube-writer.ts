import * as k8s from '@kubernetes/client-node';
import { type KubernetesObject, SKELETON_APP } from '@skeleton/charts';
import type { SkeletonAppObject } from '../reconcile/desired-state.js';
import type { ClusterWriter } from '../reconcile/reconciler.js';
import { mergePatchFor } from '../reconcile/status-patch.js';
import type { SkeletonAppStatus } from '../status/skeleton-app-status.js';
import { AbortableObjectApi, abortOn } from './abortable-requests.js';

/** The one field manager every apply uses, so ownership of each field is stable across versions. */
export const FIELD_MANAGER = 'skeleton-operator';

const mergePatch = (signal: AbortSignal) =>
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, abortOn(signal));

export interface KubeWriterOptions {
  kubeConfig: k8s.KubeConfig;
  /** Told of each object a write returned (read-your-writes for the caches). */
  remember(object: k8s.KubernetesObject): void;
}

/**
 * The operator's writes through client-node: children by server-side apply with force (the
 * operator is the source of truth for every field it sets), the SkeletonApp's finalizers by a
 * merge patch guarded by resourceVersion (so a concurrent change is never overwritten), and its
 * status through the /status subresource. Each write is aborted by the signal it is given.
 */
export function createKubeWriter(options: KubeWriterOptions): ClusterWriter {
  const objects = AbortableObjectApi.makeApiClient(options.kubeConfig);
  const custom = options.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core = options.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const target = (app: SkeletonAppObject) => ({
    group: SKELETON_APP.group,
    version: SKELETON_APP.version,
    plural: SKELETON_APP.plural,
    namespace: app.metadata?.namespace ?? '',
    name: app.metadata?.name ?? '',
  });
  const kept = <T>(object: T): T => {
    options.remember(object as k8s.KubernetesObject);
    return object;
  };
  return {
    async apply(object: KubernetesObject, signal, fieldManager = FIELD_MANAGER) {
      const applied = await objects.withSignal(signal).apply(object, fieldManager);
      return kept(applied);
    },
    async writeKeySet(secret, resourceVersion, signal) {
      const { namespace = '', name = '' } = secret.metadata;
      const body = secret as k8s.V1Secret;
      // A create fails if another replica created it first; a replace fails if it changed since it was
      // read: either way the pass is retried from what the cache then holds.
      const written =
        resourceVersion === undefined
          ? await core.createNamespacedSecret(
              { namespace, body, fieldManager: FIELD_MANAGER },
              abortOn(signal),
            )
          : await core.replaceNamespacedSecret(
              {
                namespace,
                name,
                body: { ...body, metadata: { ...body.metadata, resourceVersion } },
                fieldManager: FIELD_MANAGER,
              },
              abortOn(signal),
            );
      return kept({ ...written, apiVersion: 'v1', kind: 'Secret' });
    },
    async remove(kind, object, signal) {
      const uid = object.metadata?.uid;
      try {
        await objects.withSignal(signal).delete(
          {
            apiVersion: kind.apiVersion,
            kind: kind.kind,
            metadata: { name: object.metadata?.name, namespace: object.metadata?.namespace },
          },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
          // Only the object that was looked at: a namesake created meanwhile is left alone.
          uid ? { preconditions: { uid } } : undefined,
        );
      } catch (error) {
        // Already gone is what was wanted.
        if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
      }
    },
    async setFinalizers(app, finalizers, signal) {
      const body = { metadata: { finalizers, resourceVersion: app.metadata?.resourceVersion } };
      return kept(
        (await custom.patchNamespacedCustomObject(
          { ...target(app), body },
          mergePatch(signal),
        )) as SkeletonAppObject,
      );
    },
    async patchStatus(app, previous: SkeletonAppStatus | undefined, next: SkeletonAppStatus, signal) {
      const body = {
        status: mergePatchFor(
          previous as Record<string, unknown> | undefined,
          next as Record<string, unknown>,
        ),
      };
      return kept(
        await custom.patchNamespacedCustomObjectStatus({ ...target(app), body }, mergePatch(signal)),
      );
    },
  };
}
