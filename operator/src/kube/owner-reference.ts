import { SKELETON_APP } from '@skeleton/charts';

interface Owned {
  metadata?: {
    namespace?: string;
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid?: string;
      controller?: boolean;
    }[];
  };
}

const groupOf = (apiVersion: string) =>
  apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';

/**
 * The `namespace/name` of the SkeletonApp that controls this child, to requeue on its events. The
 * owner is matched by group and kind, not by the exact apiVersion: an ownerReference written under
 * one served version stays valid when the CRD serves the next (v1alpha1 → v1beta1).
 */
export function appOwnerKey(object: Owned): string | undefined {
  const owner = appOwner(object);
  return owner ? `${object.metadata?.namespace ?? ''}/${owner.name}` : undefined;
}

/** The uid of the SkeletonApp that controls this child: what outlives a delete and re-create by name. */
export function appOwnerUid(object: Owned): string | undefined {
  return appOwner(object)?.uid;
}

function appOwner(object: Owned) {
  return object.metadata?.ownerReferences?.find(
    (reference) =>
      reference.controller === true &&
      reference.kind === SKELETON_APP.kind &&
      groupOf(reference.apiVersion) === SKELETON_APP.group,
  );
}
