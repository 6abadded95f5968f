import { SKELETON_APP } from '@skeleton/charts';
import { desiredObjects, parseSpec } from '../../operator/src/reconcile/desired-state.js';
import { exampleApp, type SkeletonApp } from '../../operator/test/support/operator-harness.js';
import type { Send } from './backend.js';
import type { ChildRef } from './tracker.js';

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

/** POSTs `body` and fails unless it was created. */
export async function created(send: Send, path: string, body: object): Promise<void> {
  const { status, body: text } = await send('POST', path, body);
  if (status !== 201) throw new Error(`POST ${path} answered ${status}: ${text}`);
}

/** Creates the app as a user would (POST, as kubectl create does); resolves when the 201 arrives. */
export function createApp(send: Send, app: SkeletonApp): Promise<void> {
  const { group, version, plural } = SKELETON_APP;
  return created(send, `/apis/${group}/${version}/namespaces/${app.metadata.namespace}/${plural}`, app);
}

/** Runs `work` on every item, at most `limit` at a time. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
