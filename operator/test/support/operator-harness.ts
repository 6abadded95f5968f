import * as k8s from '@kubernetes/client-node';
import { EXAMPLE_SKELETON_APP, SKELETON_APP, skeletonAppCrd } from '@skeleton/charts';
import type { ExecutionContext } from 'ava';
import { type Logger, type OperatorOptions, SkeletonAppOperator } from '../../src/operator.js';
import { APPLIED_HASH_ANNOTATION } from '../../src/reconcile/desired-state.js';
import {
  type FakeApiServer,
  type FakeApiServerOptions,
  startFakeApiServer,
} from './kube-fake/fake-api-server.js';
import { kubeConfigFor } from './kube-fake/kubeconfig.js';
import { rawRequest } from './raw-request.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds (true) or `ms` pass (false). */
export async function until(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
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
    conditions?: { type: string; status: string; reason: string; lastTransitionTime?: string }[];
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

export interface Cluster {
  fake: FakeApiServer;
  kubeConfig: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  objects: k8s.KubernetesObjectApi;
  createCrd(crd: object): Promise<void>;
  createNamespace(name: string): Promise<void>;
  createApp(app: SkeletonApp): Promise<void>;
  getApp(namespace: string, name: string): Promise<SkeletonApp | undefined>;
  patchAppSpec(namespace: string, name: string, spec: Record<string, unknown>): Promise<SkeletonApp>;
  deleteApp(namespace: string, name: string): Promise<void>;
  /** The children of an app, as `Kind/name`, from the API server. */
  childrenOf(namespace: string, app: string): Promise<string[]>;
  /** The children of an app, as `Kind/name@applied-hash`: the configuration each one carries. */
  appliedChildren(namespace: string, app: string): Promise<string[]>;
  close(): Promise<void>;
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

/** A fake kube-apiserver with the SkeletonApp CRD installed, and clients for it. */
export async function startCluster(options: FakeApiServerOptions = {}): Promise<Cluster> {
  const fake = await startFakeApiServer({ controllers: {}, bookmarkIntervalMs: 1_000, ...options });
  const kubeConfig = kubeConfigFor(fake.url);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const createCrd = async (crd: object) => {
    // Over plain HTTP: client-node's typed model drops `default` and `x-kubernetes-*` from a plain CRD.
    const { status, body } = await rawRequest(
      kubeConfig,
      'POST',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      crd,
    );
    if (status !== 201) throw new Error(`CRD not created: ${status} ${JSON.stringify(body)}`);
  };
  await createCrd(skeletonAppCrd());
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
  const cluster: Cluster = {
    fake,
    kubeConfig,
    core,
    custom,
    objects,
    createCrd,
    async createNamespace(name) {
      await core.createNamespace({ body: { metadata: { name } } });
    },
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
    close: () => fake.close(),
  };
  return cluster;
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

/** An operator against the cluster, with fast watch recovery and retries so faults settle quickly. */
export async function startOperator(
  cluster: Cluster,
  options: Partial<Omit<OperatorOptions, 'kubeConfig'>> = {},
): Promise<SkeletonAppOperator & { logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  const operator = new SkeletonAppOperator({
    kubeConfig: cluster.kubeConfig,
    config: operatorConfig(),
    logger,
    watch: { inactivityTimeoutMs: 5_000, backoff: { initialMs: 20, maxMs: 200 } },
    queue: { backoff: { baseMs: 20, maxMs: 500 } },
    ...options,
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
  let writes = cluster.fake.faults.writes();
  let quietSince = Date.now();
  return until(() => {
    const now = cluster.fake.faults.writes();
    if (now !== writes || !operator.idle) {
      writes = now;
      quietSince = Date.now();
    }
    return Date.now() - quietSince >= quietMs;
  }, 20_000);
}

/** A cluster with the namespace `identity` and an operator watching it, both stopped at the test's end. */
export async function clusterWithOperator(
  t: ExecutionContext,
  options: Partial<Omit<OperatorOptions, 'kubeConfig'>> = {},
): Promise<{ cluster: Cluster; operator: Awaited<ReturnType<typeof startOperator>> }> {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const operator = await startOperator(cluster, options);
  t.teardown(() => operator.stop());
  return { cluster, operator };
}
