import test from 'ava';
import { Registry } from 'prom-client';
import { registerSkeletonAppMetrics } from '../src/observability/skeleton-app-metrics.js';
import type { SkeletonAppObject } from '../src/reconcile/desired-state.js';

const app = (name: string): SkeletonAppObject => ({
  metadata: { name, namespace: 'identity', uid: `uid-${name}` },
  spec: {
    image: 'registry.example.com/skeleton-api:1.4.2',
    database: { secretRef: { name: 'db', key: 'url' } },
  },
  status: {
    conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '' }],
  },
});

/** The series prom-client holds for a metric between scrapes (its own bookkeeping, read to prove it is empty). */
const held = (registry: Registry, name: string) =>
  Object.keys((registry.getSingleMetric(name) as unknown as { hashMap: object }).hashMap).length;

test('the apps’ series are built at each scrape and not held between scrapes', async (t) => {
  const registry = new Registry();
  let apps = [app('accounts'), app('billing')];
  registerSkeletonAppMetrics(registry, { apps: () => apps, owned: () => [] });

  const first = await registry.metrics();
  t.regex(first, /^skeletonapp_status_condition\{.*skeletonapp="billing".*status="True".*} 1$/m);
  t.is(held(registry, 'skeletonapp_status_condition'), 0);
  t.is(held(registry, 'skeletonapp_key_rotation_interval_seconds'), 0);

  t.is(await registry.metrics(), first, 'a second scrape of the same caches reads the same');
  apps = [app('accounts')];
  t.notRegex(await registry.metrics(), /skeletonapp="billing"/);
});
