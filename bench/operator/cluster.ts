import { SKELETON_APP, skeletonAppCrd } from '@skeleton/charts';
import { desiredObjects, parseSpec } from '../../operator/src/reconcile/desired-state.js';
import {
  type FakeApiServer,
  startFakeApiServer,
} from '../../operator/test/support/kube-fake/fake-api-server.js';
import { exampleApp, type SkeletonApp } from '../../operator/test/support/operator-harness.js';
import type { ChildRef } from './tracker.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

async function post(url: string, body: object): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${url} answered ${response.status}: ${text}`);
}

/**
 * The fake kube-apiserver in this process, with the cluster's controllers simulated (Deployments
 * become Available, Jobs complete, HPAs report at once), the SkeletonApp CRD installed (as JSON:
 * client-node's typed model drops schema keys) and the namespaces created. No ServiceMonitor CRD:
 * the operator then renders no ServiceMonitor and reports monitoring as unavailable.
 */
export async function startBenchCluster(namespaces: string[]): Promise<FakeApiServer> {
  const fake = await startFakeApiServer({
    controllers: { onError: (error) => process.stderr.write(`simulated controller: ${String(error)}\n`) },
  });
  try {
    await post(`${fake.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, skeletonAppCrd());
    for (const name of namespaces) await post(`${fake.url}/api/v1/namespaces`, { metadata: { name } });
  } catch (error) {
    await fake.close();
    throw error;
  }
  return fake;
}

/** The design document's example under another name: what every app of the bench is. */
export const benchApp = (namespace: string, name: string) => exampleApp(name, namespace);

/**
 * The children the operator should create for the app, as its reconciler computes them: the spec's
 * image approved, no ServiceMonitor API.
 */
export function expectedChildren(app: SkeletonApp): ChildRef[] {
  const parsed = parseSpec(app);
  if (!parsed.ok) throw new Error(`the bench's app is invalid: ${JSON.stringify(parsed.problems)}`);
  const { namespace, name } = app.metadata;
  // The uid only goes into the ownerReference; which objects and what names do not depend on it.
  return desiredObjects({ name, namespace, uid: 'not-used' }, parsed.spec, {
    approvedImage: parsed.spec.image,
    serviceMonitorAvailable: false,
  }).map(({ apiVersion, kind, metadata }) => ({ apiVersion, kind, metadata: { name: metadata.name } }));
}

/** Creates the app as a user would (POST, as kubectl create does); resolves when the 201 arrives. */
export function createApp(server: string, app: SkeletonApp): Promise<void> {
  const { group, version, plural } = SKELETON_APP;
  return post(`${server}/apis/${group}/${version}/namespaces/${app.metadata.namespace}/${plural}`, app);
}

/** Runs `work` on every item, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
