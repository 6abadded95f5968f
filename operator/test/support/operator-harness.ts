import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { EXAMPLE_SKELETON_APP, SKELETON_APP, skeletonAppCrd } from '@skeleton/charts';
import type { ExecutionContext } from 'ava';
import { parseAllDocuments } from 'yaml';
import { type Logger, type OperatorOptions, SkeletonAppOperator } from '../../src/operator.js';
import { APPLIED_HASH_ANNOTATION } from '../../src/reconcile/desired-state.js';
import { controlPlaneKubeConfig } from './control-plane-cluster.js';
import {
  type FakeApiServer,
  type FakeApiServerOptions,
  startFakeApiServer,
} from './kube-fake/fake-api-server.js';
import { kubeConfigFor } from './kube-fake/kubeconfig.js';
import { rawRequest } from './raw-request.js';
import { type RecordedRequest, startRecordingProxy } from './recording-proxy.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `condition` holds (true) or `ms` pass (false). The default leaves room for the real
 * control plane's controllers on a busy machine; on the fake it is met in milliseconds.
 */
export async function until(condition: () => boolean | Promise<boolean>, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line, so a test can assert on what was logged. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    lines.push({ level, msg, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: {
      kind: 'ServiceMonitor',
      plural: 'servicemonitors',
      singular: 'servicemonitor',
      listKind: 'ServiceMonitorList',
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

export type SkeletonApp = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number; finalizers?: string[]; uid?: string };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
    currentImage?: string;
    currentKeyId?: string;
    lastRotationTime?: string;
    readyReplicas?: number;
    phase?: string;
  };
};

/** The design document's example, renamed and placed in `namespace`. */
export function exampleApp(name: string, namespace: string, spec: Record<string, unknown> = {}): SkeletonApp {
  return {
    ...EXAMPLE_SKELETON_APP,
    metadata: { name, namespace },
    spec: { ...EXAMPLE_SKELETON_APP.spec, ...spec },
  } as SkeletonApp;
}

/**
 * Where an end-to-end test runs: the fake (fast, with fault injection and simulated controllers) or
 * the real control plane `npm run control-plane -- up` started (the reference: kube-apiserver,
 * kube-controller-manager, kube-scheduler, etcd and kwok).
 */
export type Backend = 'kube-fake' | 'control-plane';
export const BACKENDS: readonly Backend[] = ['kube-fake', 'control-plane'];

export interface Cluster {
  backend: Backend;
  /** The test's own client: full rights, as a person with kubectl. */
  kubeConfig: k8s.KubeConfig;
  /**
   * The operator's client. On the control plane it is the operator's own ServiceAccount, bound to the
   * shipped ClusterRole and Role only, through a recording proxy: a missing permission fails the test.
   */
  operatorKubeConfig: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  objects: k8s.KubernetesObjectApi;
  createCrd(crd: object): Promise<void>;
  /**
   * Creates a namespace for the test and returns its name: `base` on the fake; on the control plane,
   * which every test file shares, `base` with a unique suffix.
   */
  createNamespace(base: string): Promise<string>;
  /** The namespaces created so far, for the operator to watch on the shared control plane. */
  readonly namespaces: string[];
  createApp(app: SkeletonApp): Promise<void>;
  getApp(namespace: string, name: string): Promise<SkeletonApp | undefined>;
  patchAppSpec(namespace: string, name: string, spec: Record<string, unknown>): Promise<SkeletonApp>;
  deleteApp(namespace: string, name: string): Promise<void>;
  /** The children of an app, as `Kind/name`, from the API server. */
  childrenOf(namespace: string, app: string): Promise<string[]>;
  /** The children of an app, as `Kind/name@applied-hash`: the configuration each one carries. */
  appliedChildren(namespace: string, app: string): Promise<string[]>;
  /** On the control plane, every request the operator made and its answer (the recording proxy's). */
  operatorRequests?(): readonly RecordedRequest[];
  /** Write requests so far: every client's on the fake, the operator's on the control plane. */
  writes(): number;
  resetWrites(): void;
  close(): Promise<void>;
}

export interface FakeCluster extends Cluster {
  fake: FakeApiServer;
}

const APP = { group: SKELETON_APP.group, version: SKELETON_APP.version, plural: SKELETON_APP.plural };
const MERGE_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** The kinds an app's children can be, for listing them back. */
const CHILD_KINDS: [string, string][] = [
  ['v1', 'ServiceAccount'],
  ['v1', 'ConfigMap'],
  ['v1', 'Service'],
  ['batch/v1', 'Job'],
  ['apps/v1', 'Deployment'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['networking.k8s.io/v1', 'Ingress'],
];

type ClusterClients = Omit<
  Cluster,
  | 'backend'
  | 'operatorKubeConfig'
  | 'createCrd'
  | 'createNamespace'
  | 'namespaces'
  | 'writes'
  | 'resetWrites'
  | 'close'
>;

/** The reads and writes a test makes, the same on either backend. */
function clientsFor(kubeConfig: k8s.KubeConfig): ClusterClients {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const children = async (namespace: string, app: string) => {
    const found: { id: string; object: k8s.KubernetesObject }[] = [];
    for (const [apiVersion, kind] of CHILD_KINDS) {
      const list = await objects.list(apiVersion, kind, namespace);
      for (const object of list.items) {
        if (
          object.metadata?.ownerReferences?.some(
            (owner) => owner.name === app && owner.kind === 'SkeletonApp',
          )
        )
          found.push({ id: `${kind}/${object.metadata?.name}`, object });
      }
    }
    return found.sort((a, b) => a.id.localeCompare(b.id));
  };
  return {
    kubeConfig,
    core,
    custom,
    objects,
    async createApp(app) {
      await custom.createNamespacedCustomObject({ ...APP, namespace: app.metadata.namespace, body: app });
    },
    async getApp(namespace, name) {
      try {
        return (await custom.getNamespacedCustomObject({ ...APP, namespace, name })) as SkeletonApp;
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    async patchAppSpec(namespace, name, spec) {
      return (await custom.patchNamespacedCustomObject(
        { ...APP, namespace, name, body: { spec } },
        MERGE_PATCH,
      )) as SkeletonApp;
    },
    async deleteApp(namespace, name) {
      await custom.deleteNamespacedCustomObject({ ...APP, namespace, name });
    },
    async childrenOf(namespace, app) {
      return (await children(namespace, app)).map(({ id }) => id);
    },
    async appliedChildren(namespace, app) {
      return (await children(namespace, app)).map(
        ({ id, object }) => `${id}@${object.metadata?.annotations?.[APPLIED_HASH_ANNOTATION]}`,
      );
    },
  };
}

/** Creates a CRD over plain HTTP: client-node's typed model drops `default` and `x-kubernetes-*`. */
async function postCrd(kubeConfig: k8s.KubeConfig, crd: object): Promise<number> {
  const { status, body } = await rawRequest(
    kubeConfig,
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    crd,
  );
  if (status !== 201 && status !== 409) throw new Error(`CRD not created: ${status} ${JSON.stringify(body)}`);
  return status;
}

/**
 * Creates or updates a CRD by server-side apply over plain HTTP, so a control plane left running while
 * the charts change serves the CRD as it is now, never one an earlier run installed.
 */
export async function applyCrd(
  kubeConfig: k8s.KubeConfig,
  crd: { metadata: { name: string } },
): Promise<void> {
  const { status, body } = await rawRequest(
    kubeConfig,
    'PATCH',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=skeleton-tests&force=true`,
    crd,
    'application/apply-patch+yaml',
  );
  if (status !== 200 && status !== 201) throw new Error(`CRD not applied: ${status} ${JSON.stringify(body)}`);
}

/** A fake kube-apiserver with the SkeletonApp CRD installed, and clients for it. */
export async function startCluster(options: FakeApiServerOptions = {}): Promise<FakeCluster> {
  const fake = await startFakeApiServer({ controllers: {}, bookmarkIntervalMs: 1_000, ...options });
  const kubeConfig = kubeConfigFor(fake.url);
  const createCrd = async (crd: object) => {
    if ((await postCrd(kubeConfig, crd)) !== 201) throw new Error('CRD exists already');
  };
  await createCrd(skeletonAppCrd());
  const clients = clientsFor(kubeConfig);
  const namespaces: string[] = [];
  return {
    ...clients,
    backend: 'kube-fake',
    fake,
    operatorKubeConfig: kubeConfig,
    createCrd,
    namespaces,
    async createNamespace(name) {
      await clients.core.createNamespace({ body: { metadata: { name } } });
      namespaces.push(name);
      return name;
    },
    writes: () => fake.faults.writes(),
    resetWrites: () => fake.faults.resetCounts(),
    close: () => fake.close(),
  };
}

/** The shipped install's objects that let the operator act: its namespace, ServiceAccount and RBAC. */
const OPERATOR_IDENTITY_KINDS = [
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
];
const OPERATOR_NAMESPACE = 'skeleton-system';
const OPERATOR_SERVICE_ACCOUNT = 'skeleton-operator';

function operatorIdentityObjects(): k8s.KubernetesObject[] {
  const install = readFileSync(new URL('../../../charts/dist/operator.yaml', import.meta.url), 'utf8');
  return parseAllDocuments(install)
    .map((document) => document.toJSON() as k8s.KubernetesObject)
    .filter((object) => object && OPERATOR_IDENTITY_KINDS.includes(object.kind ?? ''));
}

/** A kubeconfig for a ServiceAccount's token through a loopback recording proxy (plain HTTP). */
export function tokenKubeConfig(
  proxyUrl: string,
  account: string,
  token: string | undefined,
): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  config.loadFromOptions({
    // client-node wants skipTLSVerify to allow http:// at all.
    clusters: [{ name: 'control-plane', server: proxyUrl, skipTLSVerify: true }],
    users: [{ name: account, token }],
    contexts: [{ name: 'operator', cluster: 'control-plane', user: account }],
    currentContext: 'operator',
  });
  return config;
}

/** Waits until the app's condition of `type` has `reason`. */
export const untilReason = (
  cluster: Cluster,
  namespace: string,
  name: string,
  type: string,
  reason: string,
) => until(async () => conditionOf(await cluster.getApp(namespace, name), type)?.reason === reason);

/** Polls until `ready` holds, or fails naming what did not happen. */
async function waitUntil(what: string, ready: () => Promise<boolean>, ms = 30_000): Promise<void> {
  if (!(await until(() => ready().catch(() => false), ms))) throw new Error(`${what}: not within ${ms} ms`);
}

/**
 * The real control plane, shared by every test file: the SkeletonApp CRD (as the charts make it now)
 * and the operator's ServiceAccount and RBAC from the shipped install are applied (idempotently), and the operator gets a
 * token of that ServiceAccount, never the admin's. Namespaces are the test's own; on close the apps
 * left in them lose their finalizer (the operator is gone by then) and the namespaces are deleted.
 */
export async function startControlPlaneCluster(): Promise<Cluster> {
  const kubeConfig = await controlPlaneKubeConfig();
  const clients = clientsFor(kubeConfig);
  const createCrd = async (crd: object) => {
    const named = crd as { metadata: { name: string } };
    const { name } = named.metadata;
    await applyCrd(kubeConfig, named);
    await waitUntil(`CRD ${name} established`, async () => {
      const { body } = await rawRequest(
        kubeConfig,
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      return ((body as k8s.V1CustomResourceDefinition).status?.conditions ?? []).some(
        (condition) => condition.type === 'Established' && condition.status === 'True',
      );
    });
  };
  await createCrd(skeletonAppCrd());
  for (const object of operatorIdentityObjects())
    await clients.objects.patch(
      object,
      undefined,
      undefined,
      'skeleton-tests',
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  const { status } = await clients.core.createNamespacedServiceAccountToken({
    name: OPERATOR_SERVICE_ACCOUNT,
    namespace: OPERATOR_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3_600 } },
  });
  const cluster = kubeConfig.getCurrentCluster();
  const ca = cluster?.caData ? Buffer.from(cluster.caData, 'base64') : undefined;
  const proxy = await startRecordingProxy(cluster?.server ?? '', ca);
  const operatorKubeConfig = tokenKubeConfig(proxy.url, OPERATOR_SERVICE_ACCOUNT, status?.token);
  const namespaces: string[] = [];
  let writesBefore = 0;
  const writeCount = () => proxy.requests.filter(({ method }) => method !== 'GET').length;
  return {
    ...clients,
    backend: 'control-plane',
    operatorKubeConfig,
    createCrd,
    namespaces,
    async createNamespace(base) {
      const name = `${base}-${randomBytes(3).toString('hex')}`;
      await clients.core.createNamespace({ body: { metadata: { name } } });
      namespaces.push(name);
      return name;
    },
    operatorRequests: () => proxy.requests,
    writes: () => writeCount() - writesBefore,
    resetWrites: () => {
      writesBefore = writeCount();
    },
    async close() {
      await proxy.close();
      for (const namespace of namespaces) {
        const { items } = (await clients.custom.listNamespacedCustomObject({ ...APP, namespace })) as {
          items: SkeletonApp[];
        };
        for (const app of items)
          await clients.custom
            .patchNamespacedCustomObject(
              { ...APP, namespace, name: app.metadata.name, body: { metadata: { finalizers: null } } },
              MERGE_PATCH,
            )
            .catch(() => undefined);
        await clients.core.deleteNamespace({ name: namespace }).catch(() => undefined);
      }
    },
  };
}

/**
 * The Lease an operator of this test elects its leader on: as configured on the fake; on the shared
 * control plane one of the test's own (named after its first namespace) in the operator's namespace.
 */
export function leaseNameOn(cluster: Cluster, leaseName = 'skeleton-operator'): string {
  return cluster.backend === 'control-plane' ? `${leaseName}-${cluster.namespaces[0]}` : leaseName;
}

/** The operator's own namespace, where its Lease lives: made on the fake, installed on the control plane. */
export async function operatorNamespaceOn(cluster: Cluster): Promise<string> {
  if (cluster.backend === 'control-plane') return OPERATOR_NAMESPACE;
  await cluster.core.createNamespace({ body: { metadata: { name: OPERATOR_NAMESPACE } } });
  return OPERATOR_NAMESPACE;
}

/** A cluster on the backend a test runs against. */
export function startClusterOn(backend: Backend): Promise<Cluster> {
  return backend === 'kube-fake' ? startCluster() : startControlPlaneCluster();
}

export function operatorConfig(
  overrides: Partial<OperatorOptions['config']> = {},
): OperatorOptions['config'] {
  const base: OperatorOptions['config'] = {
    watchNamespaces: [],
    leaderElection: {
      enabled: false,
      leaseName: 'skeleton-operator',
      namespace: 'skeleton-system',
      identity: 'operator-a',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    },
    concurrency: 4,
    shutdownTimeoutSeconds: 30,
    rotation: { propagationDelayMs: 120_000, jwksCacheMs: 300_000, clockSkewMs: 60_000 },
  };
  return { ...base, ...overrides };
}

/**
 * An operator against the cluster, with fast watch recovery and retries so faults settle quickly. On
 * the shared control plane it watches only the test's namespaces and elects its leader on a Lease of
 * its own, so operators of test files running at the same time never meet.
 */
export async function startOperator(
  cluster: Cluster,
  options: Partial<Omit<OperatorOptions, 'kubeConfig'>> = {},
): Promise<SkeletonAppOperator & { logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  let config = options.config ?? operatorConfig();
  if (cluster.backend === 'control-plane') {
    config = {
      ...config,
      watchNamespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : [...cluster.namespaces],
      leaderElection: {
        ...config.leaderElection,
        namespace: OPERATOR_NAMESPACE,
        leaseName: leaseNameOn(cluster, config.leaderElection.leaseName),
      },
    };
  }
  const operator = new SkeletonAppOperator({
    kubeConfig: cluster.operatorKubeConfig,
    logger,
    watch: { inactivityTimeoutMs: 5_000, backoff: { initialMs: 20, maxMs: 200 } },
    queue: { backoff: { baseMs: 20, maxMs: 500 } },
    ...options,
    config,
  });
  await operator.start();
  return Object.assign(operator, { logger });
}

export const conditionOf = (app: SkeletonApp | undefined, type: string) =>
  app?.status?.conditions?.find((condition) => condition.type === type);

export const isReady = (app: SkeletonApp | undefined) =>
  conditionOf(app, 'Ready')?.status === 'True' &&
  app?.status?.observedGeneration === app?.metadata.generation;

/**
 * Waits until the operator has nothing queued and the fake has had no write for `quietMs`: the
 * moment a steady state can be measured from (a status write's own watch event, or an event
 * recorded after it, may still be in flight when the queue first looks empty).
 */
export async function settled(
  cluster: Cluster,
  operator: { idle: boolean },
  quietMs = 500,
): Promise<boolean> {
  let writes = cluster.writes();
  let quietSince = Date.now();
  return until(() => {
    const now = cluster.writes();
    if (now !== writes || !operator.idle) {
      writes = now;
      quietSince = Date.now();
    }
    return Date.now() - quietSince >= quietMs;
  }, 20_000);
}

/**
 * A cluster on `backend` with a namespace of the test's own (`identity` on the fake) and an operator
 * watching it, both stopped at the test's end.
 */
export async function clusterWithOperator(
  t: ExecutionContext,
  options: Partial<Omit<OperatorOptions, 'kubeConfig'>> = {},
  backend: Backend = 'kube-fake',
): Promise<{
  cluster: Cluster;
  namespace: string;
  operator: Awaited<ReturnType<typeof startOperator>>;
}> {
  const cluster = await startClusterOn(backend);
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('identity');
  const operator = await startOperator(cluster, options);
  t.teardown(() => operator.stop());
  return { cluster, namespace, operator };
}
