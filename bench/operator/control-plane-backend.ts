import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { skeletonAppCrd } from '@skeleton/charts';
import { collectionPath, OWNED_KINDS, SKELETON_APP_KIND } from '../../operator/src/kube/owned-kinds.js';
import { KWOK_NODE_PODS } from '../../operator/test/support/control-plane/components.js';
import { adminClient, readyKwokNode } from '../../operator/test/support/control-plane/control-plane.js';
import { controlPlaneKubeconfigPath } from '../../operator/test/support/control-plane-cluster.js';
import { applyCrd } from '../../operator/test/support/operator-harness.js';
import type { BenchBackend, KindRef, ObjectEvent, Send } from './backend.js';
import { created } from './cluster.js';

/** Room left on each node the bench adds, for what else the shared control plane runs. */
const PODS_PER_NODE = KWOK_NODE_PODS - 10;
const ESTABLISHED_TIMEOUT_MS = 30_000;

const pathOf = (kind: KindRef) => {
  const watched = [SKELETON_APP_KIND, ...OWNED_KINDS].find(
    (each) => each.apiVersion === kind.apiVersion && each.kind === kind.kind,
  );
  if (!watched) throw new Error(`the bench follows no ${kind.apiVersion} ${kind.kind}`);
  return collectionPath(watched);
};

/**
 * The real control plane `npm run control-plane -- up` started (kube-apiserver, etcd, the
 * controllers, the scheduler and kwok playing the kubelet): the SkeletonApp CRD applied, namespaces
 * of the bench's own (suffixed, so runs never meet) and enough kwok nodes for `pods` running pods.
 * The operator talks to kube-apiserver over HTTPS with the admin's kubeconfig. On close the
 * namespaces (and so the apps and everything they own) and the added nodes are deleted.
 */
export async function startControlPlaneBackend(namespaces: string[], pods: number): Promise<BenchBackend> {
  const kubeconfig = await controlPlaneKubeconfigPath();
  const admin = await adminClient(kubeconfig);
  const send: Send = (method, path, body, contentType) => admin.send(method, path, body, contentType);
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);

  const crd = skeletonAppCrd() as { metadata: { name: string } };
  await applyCrd(kubeConfig, crd);
  await established(send, crd.metadata.name);
  const suffix = randomBytes(3).toString('hex');
  const named = namespaces.map((namespace) => `${namespace}-${suffix}`);
  const nodes = Array.from({ length: Math.ceil(pods / PODS_PER_NODE) }, (_, i) => `bench-${suffix}-${i}`);
  const close = async () => {
    for (const name of named) await send('DELETE', `/api/v1/namespaces/${name}`);
    for (const name of nodes) await send('DELETE', `/api/v1/nodes/${name}`);
  };
  try {
    for (const name of named) await created(send, '/api/v1/namespaces', { metadata: { name } });
    for (const name of nodes) await readyKwokNode(admin, () => undefined, name);
  } catch (error) {
    await close();
    throw error;
  }
  const ours = new Set(named);
  return {
    name: 'control-plane',
    kubeconfig,
    send,
    namespaces: named,
    follow: (kind, listener) =>
      follow(kubeConfig, pathOf(kind), (event) => {
        if (ours.has(event.object.metadata?.namespace ?? '')) listener(event);
      }),
    close,
  };
}

async function established(send: Send, name: string): Promise<void> {
  const deadline = performance.now() + ESTABLISHED_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const { body } = await send('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
    const conditions = (JSON.parse(body).status?.conditions ?? []) as { type: string; status: string }[];
    if (conditions.some(({ type, status }) => type === 'Established' && status === 'True')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the CRD ${name} was not established within ${ESTABLISHED_TIMEOUT_MS / 1000} s`);
}

/**
 * A watch of the collection at `path` that starts again whenever kube-apiserver ends it, from the
 * last resourceVersion it saw (after an error, from the current state), until the returned
 * function stops it.
 */
async function follow(
  kubeConfig: k8s.KubeConfig,
  path: string,
  listener: (event: ObjectEvent) => void,
): Promise<() => void> {
  const watch = new k8s.Watch(kubeConfig);
  let resourceVersion: string | undefined;
  let stopped = false;
  let current: AbortController | undefined;
  const start = async (): Promise<void> => {
    current = await watch.watch(
      path,
      { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (type: string, object: ObjectEvent['object'] & { metadata?: { resourceVersion?: string } }) => {
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (type !== 'BOOKMARK') listener({ type, object });
      },
      (error: unknown) => {
        // Ended with an error (a 410 among them): start over from now, with the objects as they are.
        if (error) resourceVersion = undefined;
        if (!stopped) void start();
      },
    );
  };
  await start();
  return () => {
    stopped = true;
    current?.abort();
  };
}
