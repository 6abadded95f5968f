import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { EXAMPLE_SKELETON_APP, SKELETON_APP, skeletonAppCrd } from '@skeleton/charts';
import test from 'ava';
import { parseSpec } from '../src/reconcile/desired-state.js';
import { controlPlaneKubeconfigPath } from './support/control-plane-cluster.js';
import { onEachBackend } from './support/each-backend.js';
import {
  applyCrd,
  type Cluster,
  conditionOf,
  exampleApp,
  startCluster,
  startClusterOn,
  startControlPlaneCluster,
  startOperator,
  until,
} from './support/operator-harness.js';
import { rawRequest } from './support/raw-request.js';

/**
 * One table of SkeletonApps, each judged three ways: by zod (what the operator parses), and by the
 * CRD's schema and CEL rules on the fake and on the real kube-apiserver. All three must give the
 * table's verdict, and the two servers must refuse an app with the same causes.
 */

type Spec = Record<string, unknown>;

interface Case {
  title: string;
  /** The app's name; `case-<n>` when the case is about the spec. */
  name?: string;
  /** Changes the example's spec. */
  change?: (spec: Spec) => void;
  valid: boolean;
}

const CASES: Case[] = [
  { title: 'the example', valid: true },
  { title: 'a one-letter name', name: 'a', valid: true },
  { title: 'a name with a hyphen', name: 'web-2', valid: true },
  { title: 'a name of 55 characters', name: 'n'.repeat(55), valid: true },
  {
    title: 'a name of 56 characters (its metrics Service would have 64)',
    name: 'n'.repeat(56),
    valid: false,
  },
  { title: 'a name with a dot', name: 'web.v2', valid: false },
  { title: 'a name starting with a digit', name: '1web', valid: false },
  { title: 'a name of 70 characters', name: 'n'.repeat(70), valid: false },
  {
    title: 'an image without a tag',
    change: (spec) => Object.assign(spec, { image: 'registry.example.com/api' }),
    valid: false,
  },
  {
    title: 'an unknown spec field',
    change: (spec) => Object.assign(spec, { replicaCount: 3 }),
    valid: false,
  },
  {
    title: 'an unknown field in a nested object',
    change: (spec) => Object.assign(spec, { jwt: { rotationInterval: '720h', rotation: '1h' } }),
    valid: false,
  },
  {
    title: 'replicas.min above replicas.max',
    change: (spec) => Object.assign(spec, { replicas: { min: 5, max: 3 } }),
    valid: false,
  },
  {
    title: 'a config key that is no environment variable name',
    change: (spec) => Object.assign(spec, { config: { 'not-an-env-name': 'x' } }),
    valid: false,
  },
  ...bounded('config entries', 128, (n) => ({ config: mapOf(n, (i) => [`KEY_${i}`, 'x']) })),
  ...bounded('a config key', 128, (n) => ({ config: { [`K${'E'.repeat(n - 1)}`]: 'x' } })),
  ...bounded('a config value', 4096, (n) => ({ config: { LOG_LEVEL: 'x'.repeat(n) } })),
  ...bounded('serviceMonitor labels', 32, (n) => serviceMonitorLabels(mapOf(n, (i) => [`label-${i}`, 'x']))),
  ...bounded('a label key', 317, (n) =>
    serviceMonitorLabels({ [`${'p'.repeat(n - 64)}/${'k'.repeat(63)}`]: 'x' }),
  ),
  ...bounded('a label value', 63, (n) => serviceMonitorLabels({ team: 'v'.repeat(n) })),
  {
    title: 'a label key with a DNS prefix',
    change: (spec) => Object.assign(spec, serviceMonitorLabels({ 'example.com/team': 'x' })),
    valid: true,
  },
  {
    title: 'a label key with a space',
    change: (spec) => Object.assign(spec, serviceMonitorLabels({ 'team name': 'x' })),
    valid: false,
  },
  {
    title: 'a pod selector key with a space, inside ingressFrom',
    change: (spec) =>
      Object.assign(spec, { networkPolicy: { ingressFrom: [{ podSelector: { 'app name': 'x' } }] } }),
    valid: false,
  },
  ...bounded('ingressFrom peers', 32, (n) => ({
    networkPolicy: { ingressFrom: listOf(n, (i) => ({ podSelector: { app: `client-${i}` } })) },
  })),
  ...bounded('egressTo CIDRs', 32, (n) => ({
    networkPolicy: { egressTo: listOf(n, (i) => `10.0.${i}.0/24`) },
  })),
  ...bounded('a CIDR', 43, (n) => ({
    networkPolicy: { egressTo: [`${'0'.repeat(n - 43)}${'ffff:'.repeat(7)}ffff/128`] },
  })),
  ...bounded('migration command arguments', 32, (n) => ({
    migrations: { command: listOf(n, (i) => `arg-${i}`) },
  })),
  ...bounded('a migration command argument', 1024, (n) => ({ migrations: { command: ['x'.repeat(n)] } })),
  ...bounded('a duration', 32, (n) => ({ jwt: { rotationInterval: `${'1'.repeat(n - 1)}h` } })),
  ...bounded('a quantity', 32, (n) => ({ resources: { requests: { cpu: `${'1'.repeat(n - 1)}m` } } })),
  {
    title: 'a Secret key with a slash',
    change: (spec) => Object.assign(spec, { database: { secretRef: { name: 'db', key: 'a/b' } } }),
    valid: false,
  },
  {
    title: 'an IngressClass name with an underscore',
    change: (spec) =>
      Object.assign(spec, { ingress: { host: 'accounts.example.com', className: 'my_class' } }),
    valid: false,
  },
];

/** The two cases of a bound: `limit` is accepted, one more is refused. */
function bounded(what: string, limit: number, at: (size: number) => Spec): Case[] {
  return [
    { title: `${what}: ${limit}`, change: (spec) => Object.assign(spec, at(limit)), valid: true },
    { title: `${what}: ${limit + 1}`, change: (spec) => Object.assign(spec, at(limit + 1)), valid: false },
  ];
}

const listOf = <T>(n: number, item: (index: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => item(i));
const mapOf = (n: number, entry: (index: number) => [string, string]) => Object.fromEntries(listOf(n, entry));

const serviceMonitorLabels = (labels: Record<string, string>) => ({
  monitoring: { serviceMonitor: { enabled: true, labels } },
});

const APPS = `/apis/${SKELETON_APP.group}/${SKELETON_APP.version}`;

let fake: Cluster;
let real: Cluster;
const namespaces = new Map<Cluster, string>();

test.before(async () => {
  [fake, real] = await Promise.all([startCluster(), startControlPlaneCluster()]);
  for (const cluster of [fake, real]) namespaces.set(cluster, await cluster.createNamespace('validation'));
});

test.after.always(async () => {
  await Promise.all([fake?.close(), real?.close()]);
});

const create = (cluster: Cluster, name: string, spec: Spec) => {
  const namespace = namespaces.get(cluster);
  // As kubectl sends it: an unknown field is refused, not pruned with a warning.
  return rawRequest(
    cluster.kubeConfig,
    'POST',
    `${APPS}/namespaces/${namespace}/skeletonapps?fieldValidation=Strict`,
    {
      apiVersion: `${SKELETON_APP.group}/${SKELETON_APP.version}`,
      kind: SKELETON_APP.kind,
      metadata: { name },
      spec,
    },
  );
};

/**
 * What a refusal says: its causes in a fixed order (kube-apiserver does not order the CEL rules'
 * failures), or its message when it has none (an unknown field, refused while decoding).
 */
const refusal = (body: unknown) => {
  const status = body as k8s.V1Status;
  const causes = (status.details?.causes ?? []).map(
    ({ field, reason, message }) => `${field} ${reason} ${message}`,
  );
  return causes.length > 0 ? causes.sort() : [`${status.reason}: ${status.message}`];
};

for (const [index, { title, name = `case-${index}`, change, valid }] of CASES.entries()) {
  test(`${valid ? 'accepted' : 'refused'} alike by zod, the fake and kube-apiserver: ${title}`, async (t) => {
    const spec = structuredClone(EXAMPLE_SKELETON_APP.spec) as Spec;
    change?.(spec);
    t.is(parseSpec({ metadata: { name }, spec }).ok, valid, 'zod');
    const [onFake, onReal] = await Promise.all([create(fake, name, spec), create(real, name, spec)]);
    t.is(onReal.status >= 400, !valid, `kube-apiserver: ${refusal(onReal.body).join('; ')}`);
    t.is(onFake.status, onReal.status, `the fake: ${refusal(onFake.body).join('; ')}`);
    if (!valid) t.deepEqual(refusal(onFake.body), refusal(onReal.body), 'the same refusal');
  });
}

/** The SkeletonApp CRD under a group of this test's own, so changing it disturbs no other test. */
const LEGACY_GROUP = 'legacy.validation.skeleton.dev';
type Crd = ReturnType<typeof legacyCrd>;
function legacyCrd() {
  const crd = structuredClone(skeletonAppCrd()) as {
    metadata: { name: string };
    spec: { group: string; versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  crd.metadata.name = `${SKELETON_APP.plural}.${LEGACY_GROUP}`;
  crd.spec.group = LEGACY_GROUP;
  return crd;
}
function withoutNameRule(crd: Crd): Crd {
  const copy = structuredClone(crd);
  for (const version of copy.spec.versions) delete version.schema.openAPIV3Schema['x-kubernetes-validations'];
  return copy;
}

onEachBackend(
  'an app named before the name rule existed can still be updated and deleted; no new one can be made',
  async (t, backend) => {
    const cluster = await startClusterOn(backend);
    t.teardown(() => cluster.close());
    const namespace = await cluster.createNamespace('names');
    const crd = legacyCrd();
    const path = `/apis/${LEGACY_GROUP}/${SKELETON_APP.version}/namespaces/${namespace}/skeletonapps`;
    const request = (method: string, suffix: string, body?: unknown, contentType?: string) =>
      rawRequest(cluster.kubeConfig, method, `${path}${suffix}`, body, contentType);
    const app = (name: string) => ({
      apiVersion: `${LEGACY_GROUP}/${SKELETON_APP.version}`,
      kind: SKELETON_APP.kind,
      metadata: { name },
      spec: EXAMPLE_SKELETON_APP.spec,
    });
    t.teardown(() =>
      rawRequest(
        cluster.kubeConfig,
        'DELETE',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      ),
    );

    await cluster.createCrd(withoutNameRule(crd));
    t.is((await request('POST', '', app('web.v2'))).status, 201, 'created before the rule');
    await applyCrd(cluster.kubeConfig, crd);
    // kube-apiserver serves a changed schema a moment after it stored it.
    t.true(
      await until(async () => {
        const { status } = await request('POST', '', app('web.v3'));
        if (status === 201) await request('DELETE', '/web.v3');
        return status === 422;
      }, 10_000),
      'a new app with such a name is refused',
    );

    const merge = 'application/merge-patch+json';
    const phase = { status: { phase: 'InvalidSpec' } };
    t.is((await request('PATCH', '/web.v2/status', phase, merge)).status, 200, 'its status is written');
    const image = { spec: { image: 'registry.example.com/skeleton-api:1.5.0' } };
    t.is((await request('PATCH', '/web.v2', image, merge)).status, 200, 'its spec is changed');
    const finalizers = (list: string[] | null) => ({ metadata: { finalizers: list } });
    t.is((await request('PATCH', '/web.v2', finalizers(['test/hold']), merge)).status, 200);
    t.is((await request('DELETE', '/web.v2')).status, 200);
    t.is((await request('PATCH', '/web.v2', finalizers(null), merge)).status, 200, 'its finalizer goes');
    t.true(
      await until(async () => (await request('GET', '/web.v2')).status === 404, 10_000),
      'it is deleted',
    );
  },
);

test('the operator reports an app named before the name rule existed InvalidSpec, and lets it be deleted', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('identity');
  const crd = skeletonAppCrd() as Crd;
  await applyCrd(cluster.kubeConfig, withoutNameRule(crd));
  await cluster.createApp(exampleApp('web.v2', namespace));
  await applyCrd(cluster.kubeConfig, crd);

  const operator = await startOperator(cluster);
  t.teardown(() => operator.stop());
  t.true(
    await until(
      async () => conditionOf(await cluster.getApp(namespace, 'web.v2'), 'Ready')?.reason === 'InvalidSpec',
    ),
  );
  t.regex(
    conditionOf(await cluster.getApp(namespace, 'web.v2'), 'Ready')?.message ?? '',
    /metadata\.name: must be a DNS-1035 label/,
  );
  t.deepEqual(await cluster.childrenOf(namespace, 'web.v2'), [], 'nothing is made for it');

  await cluster.deleteApp(namespace, 'web.v2');
  t.true(await until(async () => (await cluster.getApp(namespace, 'web.v2')) === undefined), 'it is deleted');
});

type SchemaNode = { description?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode };

/** The CRD's schema node at a kubectl explain path such as `spec.networkPolicy.ingressFrom`. */
function explained(path: string): SchemaNode {
  const crd = skeletonAppCrd() as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
  let node = crd.spec.versions[0]?.schema.openAPIV3Schema as SchemaNode;
  for (const name of path.split('.')) {
    node = node.properties?.[name] ?? (node.items?.properties?.[name] as SchemaNode);
  }
  return node;
}

/** kubectl wraps descriptions at 80 columns: compare words, not lines. */
const words = (text: string) => text.replace(/\s+/g, ' ').trim();

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
(hasKubectl ? test : test.skip)(
  'kubectl explain shows the descriptions of the fields, from the CRD on kube-apiserver',
  async (t) => {
    const cache = mkdtempSync(join(tmpdir(), 'kubectl-explain-'));
    t.teardown(() => rmSync(cache, { recursive: true, force: true }));
    const kubeconfig = await controlPlaneKubeconfigPath();
    const explain = async (path: string) =>
      words(
        (
          await promisify(execFile)('kubectl', [
            '--kubeconfig',
            kubeconfig,
            '--cache-dir',
            cache,
            'explain',
            `${SKELETON_APP.singular}.${path}`,
          ])
        ).stdout,
      );
    for (const path of ['spec', 'spec.jwt', 'spec.networkPolicy.ingressFrom', 'status.conditions']) {
      const node = explained(path);
      const expected = [node, ...Object.values(node.properties ?? node.items?.properties ?? {})].map(
        (field) => words(field.description ?? ''),
      );
      t.true(
        expected.every((description) => description !== ''),
        `${path}: every field is described`,
      );
      // kube-apiserver publishes a changed CRD's OpenAPI a moment after storing it.
      let shown = '';
      await until(async () => {
        shown = await explain(path);
        return expected.every((description) => shown.includes(description));
      }, 15_000);
      for (const description of expected) t.true(shown.includes(description), `${path}: ${description}`);
    }
  },
);
