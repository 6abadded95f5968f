import { commonLabels, type KubernetesObject, SKELETON_APP_API_VERSION } from '@skeleton/charts';
import { keySetSecretName } from '../reconcile/desired-state.js';
import { type KeySetDocument, parseStoredKeySet } from './key-rotation.js';

/** Set on the SkeletonApp (any new value) to rotate the signing key now. */
export const ROTATE_KEYS_ANNOTATION = 'platform.skeleton.dev/rotate-keys';

/**
 * On the Secret: the last rotation request honoured. Recording it here, rather than removing the
 * annotation from the SkeletonApp, leaves the user's object as they (or their GitOps tool) wrote it.
 */
export const ROTATION_HANDLED_ANNOTATION = 'platform.skeleton.dev/rotation-request-handled';

/** The file the API reads (JWT_KEYS_FILE), as the Deployment mounts it. */
export const KEY_SET_FILE = 'keys.json';

/** The Secret as read back: only what the rotation needs. */
export interface StoredSecret {
  metadata?: { annotations?: Record<string, string>; resourceVersion?: string };
  data?: Record<string, string>;
}

export interface StoredKeySet {
  /** Undefined when there is no Secret or its content cannot be used (it is then recreated). */
  document: KeySetDocument | undefined;
  handledRequest: string | undefined;
}

/**
 * Each Secret object read so far and what it held. Reading checks every key pair by deriving its
 * public half, which is costly; the watch reads each new version of the Secret and every reconcile
 * reads the cached one again. The caches never change an object once stored, so the object itself
 * is the key, and a version no longer cached takes its entry with it.
 */
const readSecrets = new WeakMap<StoredSecret, StoredKeySet>();

/**
 * What the Secret holds, read defensively: a missing or corrupt key set is reported as absent. The
 * same object gives the same answer, read once; the answer must not be changed.
 */
export function readKeySetSecret(secret: StoredSecret | undefined): StoredKeySet {
  if (secret === undefined) return { document: undefined, handledRequest: undefined };
  let read = readSecrets.get(secret);
  if (read === undefined) {
    const encoded = secret.data?.[KEY_SET_FILE];
    read = {
      document:
        encoded === undefined
          ? undefined
          : parseStoredKeySet(Buffer.from(encoded, 'base64').toString('utf8')),
      handledRequest: secret.metadata?.annotations?.[ROTATION_HANDLED_ANNOTATION],
    };
    readSecrets.set(secret, read);
  }
  return read;
}

/** Whether the app asks for a rotation that has not been honoured yet. */
export function rotationRequested(
  appAnnotations: Record<string, string> | undefined,
  stored: StoredKeySet,
): string | undefined {
  const request = appAnnotations?.[ROTATE_KEYS_ANNOTATION];
  return request !== undefined && request !== stored.handledRequest ? request : undefined;
}

/**
 * The key-set Secret for server-side apply: owned by the app (garbage-collected with it), labelled
 * like its other objects, never anything but the key set and the honoured request.
 */
export function keySetSecret(
  app: { name: string; namespace: string; uid: string; image: string },
  document: KeySetDocument,
  handledRequest: string | undefined,
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: keySetSecretName(app.name),
      namespace: app.namespace,
      labels: commonLabels(app.name),
      ...(handledRequest === undefined
        ? {}
        : { annotations: { [ROTATION_HANDLED_ANNOTATION]: handledRequest } }),
      ownerReferences: [
        {
          apiVersion: SKELETON_APP_API_VERSION,
          kind: 'SkeletonApp',
          name: app.name,
          uid: app.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    type: 'Opaque',
    data: { [KEY_SET_FILE]: Buffer.from(JSON.stringify(document)).toString('base64') },
  };
}
