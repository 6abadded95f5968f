import * as k8s from '@kubernetes/client-node';
import { SKELETON_APP } from '@skeleton/charts';
import type { OperatorConfig } from './config.js';
import { EventRecorder } from './events/event-recorder.js';
import { readKeySetSecret, type StoredKeySet, type StoredSecret } from './keys/key-set-secret.js';
import { abortOn } from './kube/abortable-requests.js';
import { createKubeWriter } from './kube/kube-writer.js';
import {
  collectionPath,
  KEY_SET_KIND,
  KEY_SET_SELECTOR,
  kindKey,
  MANAGED_BY_SELECTOR,
  OWNED_KINDS,
  SERVICE_MONITOR_KIND,
  SKELETON_APP_KIND,
  type WatchedKind,
} from './kube/owned-kinds.js';
import { appOwnerKey, appOwnerUid } from './kube/owner-reference.js';
import { LeaderElector } from './leader-election.js';
import { createOperatorMetrics, type OperatorMetrics } from './observability/metrics.js';
import { WorkQueue, type WorkQueueOptions } from './queue/work-queue.js';
import type { SkeletonAppObject } from './reconcile/desired-state.js';
import { createReconciler, type Live, type OwnedChild } from './reconcile/reconciler.js';
import type { BackoffOptions } from './watch/backoff.js';
import { ServiceMonitorApi } from './watch/service-monitor-api.js';
import { type KubeObject, WatchedCache } from './watch/watched-cache.js';

/** The controller's name in metrics and events. */
export const CONTROLLER_NAME = 'skeletonapp';
export const REPORTING_CONTROLLER = 'platform.skeleton.dev/skeleton-operator';

type Level = 'debug' | 'info' | 'warn' | 'error';

/** What the operator logs through: pino's signature, so main passes a pino logger as is. */
export type Logger = Record<Level, (fields: Record<string, unknown>, msg: string) => void>;

export interface OperatorOptions {
  kubeConfig: k8s.KubeConfig;
  config: Pick<
    OperatorConfig,
    'watchNamespaces' | 'leaderElection' | 'concurrency' | 'shutdownTimeoutSeconds' | 'rotation'
  > &
    Partial<Pick<OperatorConfig, 'requireImageDigest'>>;
  logger: Logger;
  clock?: () => Date;
  /** Every app is reconciled again this often, as a safety net (default 10 min). */
  resyncPeriodMs?: number;
  /** A reconcile taking longer is aborted, fails and is retried (default 60 s). */
  reconcileTimeoutMs?: number;
  watch?: { inactivityTimeoutMs?: number; backoff?: BackoffOptions };
  queue?: Pick<WorkQueueOptions, 'backoff' | 'bucket'>;
  /** Called when leadership is lost other than by stop(): the process should exit, as controller-runtime's does. */
  onLostLeadership?: () => void;
}

const APP_RESOURCE = {
  group: SKELETON_APP.group,
  version: SKELETON_APP.version,
  plural: SKELETON_APP.plural,
};

const keyOf = (object: { metadata?: { namespace?: string; name?: string } }) =>
  `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

/**
 * The SkeletonApp operator: watches SkeletonApps and their children on every replica (warm caches,
 * so a new leader starts at once), and reconciles on the leader only. Shutdown stops taking work,
 * lets the reconciles in flight finish, then releases the Lease so a standby takes over at once.
 */
export class SkeletonAppOperator {
  readonly metrics: OperatorMetrics;
  private readonly apps: WatchedCache<KubeObject>[] = [];
  private readonly children = new Map<string, WatchedCache<KubeObject>[]>();
  /** The key-set Secrets, label-selected: no other Secret of a namespace is ever read. */
  private readonly keySets: WatchedCache<KubeObject>[];
  /**
   * The last readable key set seen for each app (by uid), on every replica: what a deleted or
   * damaged Secret is restored from, with the same keys.
   */
  private readonly keySetCopies = new Map<string, StoredKeySet>();
  private readonly serviceMonitorApi: ServiceMonitorApi;
  private readonly elector: LeaderElector | undefined;
  private readonly reconcile: ReturnType<typeof createReconciler>;
  private readonly namespaces: (string | undefined)[];
  private queue: WorkQueue | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private started = false;

  constructor(private readonly options: OperatorOptions) {
    const { kubeConfig, config } = options;
    this.metrics = createOperatorMetrics(CONTROLLER_NAME, {
      apps: () => this.apps.flatMap((cache) => cache.list()) as SkeletonAppObject[],
      owned: (namespace, uid) => this.ownedChildren(namespace, uid),
    });
    this.namespaces = config.watchNamespaces.length > 0 ? config.watchNamespaces : [undefined];
    const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
    const core = kubeConfig.makeApiClient(k8s.CoreV1Api);

    for (const namespace of this.namespaces) {
      this.apps.push(
        this.cache(collectionPath(SKELETON_APP_KIND, namespace), {
          list: async () =>
            (namespace === undefined
              ? await custom.listClusterCustomObject({ ...APP_RESOURCE })
              : await custom.listNamespacedCustomObject({ ...APP_RESOURCE, namespace })) as {
              items: KubeObject[];
            },
          onEvent: (type, app) => {
            if (type === 'deleted' && app.metadata?.uid) this.keySetCopies.delete(app.metadata.uid);
            this.enqueue(keyOf(app));
          },
        }),
      );
    }
    for (const kind of OWNED_KINDS) this.children.set(kindKey(kind), this.childCaches(kind, objects));
    this.keySets = this.namespaces.map((namespace) => this.keySetWatch(namespace, core));

    this.serviceMonitorApi = new ServiceMonitorApi({
      kubeConfig,
      ...options.watch,
      log: (msg, fields) => options.logger.info(fields, msg),
      onChange: (available) => void this.serviceMonitorApiChanged(available, objects),
    });

    const eventsApi = kubeConfig.makeApiClient(k8s.EventsV1Api);
    const events = new EventRecorder({
      create: (body, signal) =>
        eventsApi.createNamespacedEvent(
          { namespace: body.metadata.namespace, body: body as unknown as k8s.EventsV1Event },
          signal && abortOn(signal),
        ),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: config.leaderElection.identity,
      clock: options.clock,
      log: (msg, fields) => options.logger.warn(fields, msg),
    });
    const writer = createKubeWriter({ kubeConfig, remember: (object) => this.remember(object) });
    this.reconcile = createReconciler({
      view: {
        app: (namespace, name) =>
          this.appCache(namespace)?.get(namespace, name) as SkeletonAppObject | undefined,
        child: (kind, namespace, name) =>
          this.childCache(kindKey(kind), namespace)?.get(namespace, name) as Live | undefined,
        owned: (namespace, ownerUid) => this.ownedChildren(namespace, ownerUid),
        secret: (namespace, name) =>
          this.keySetCache(namespace)?.get(namespace, name) as StoredSecret | undefined,
        keySetCopy: (appUid) => this.keySetCopies.get(appUid),
      },
      writer,
      events,
      serviceMonitorAvailable: () => this.serviceMonitorApi.available,
      rotationTiming: config.rotation,
      requireImageDigest: config.requireImageDigest,
      clock: options.clock ?? (() => new Date()),
      log: (level, msg, fields) => options.logger[level](fields, msg),
      applied: (kind, outcome) => this.metrics.childApplied(kind, outcome),
    });

    if (config.leaderElection.enabled) {
      const {
        leaseName,
        namespace,
        identity,
        leaseDurationSeconds,
        renewDeadlineSeconds,
        retryPeriodSeconds,
      } = config.leaderElection;
      this.elector = new LeaderElector({
        coordination: kubeConfig.makeApiClient(k8s.CoordinationV1Api),
        namespace,
        name: leaseName,
        identity,
        leaseDurationSeconds,
        renewDeadlineSeconds,
        retryPeriodSeconds,
        clock: options.clock,
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => void this.stopLeading(),
        onNewLeader: (leader) => options.logger.info({ leader }, 'new leader observed'),
        log: (msg, fields) => options.logger.info(fields, msg),
      });
    }
  }

  /** Whether every cache has its first list (what /readyz reports; leadership does not matter). */
  get ready(): boolean {
    return this.started && this.allCaches().every((cache) => cache.synced) && this.serviceMonitorApi.synced;
  }

  get leading(): boolean {
    return this.queue !== undefined;
  }

  /** Starts the caches, waits for their first lists, then campaigns for leadership (or leads at once). */
  async start(): Promise<void> {
    await Promise.all([...this.allCaches().map((cache) => cache.start()), this.serviceMonitorApi.start()]);
    this.started = true;
    // stop() may have come while the first lists were in flight: then there is nothing to lead.
    if (this.stopping) return;
    this.metrics.setLeader(this.options.config.leaderElection.leaseName, false);
    if (this.elector) void this.elector.run();
    else this.startLeading();
  }

  /** Queues every app again; the periodic safety net, also called by tests to force a resync. */
  resync(): void {
    for (const cache of this.apps) for (const app of cache.list()) this.enqueue(keyOf(app));
  }

  /** Whether the queue is empty and nothing is being reconciled. */
  get idle(): boolean {
    return this.queue === undefined || this.queue.idle;
  }

  /** Graceful: no new work, in-flight reconciles get shutdownTimeoutSeconds, then the Lease is released. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.resyncTimer);
    await this.queue?.shutdown(this.options.config.shutdownTimeoutSeconds * 1000);
    await this.elector?.stop();
    this.queue = undefined;
    await this.stopCaches();
  }

  /** For tests: stops dead without releasing the Lease, as a killed process would. */
  async kill(): Promise<void> {
    this.stopping = true;
    clearInterval(this.resyncTimer);
    await this.elector?.abandon();
    void this.queue?.shutdown(0);
    this.queue = undefined;
    await this.stopCaches();
  }

  private cache(
    path: string,
    options: Pick<
      ConstructorParameters<typeof WatchedCache<KubeObject>>[0],
      'list' | 'onEvent' | 'labelSelector' | 'indexBy'
    >,
  ): WatchedCache<KubeObject> {
    const { logger, watch } = this.options;
    return new WatchedCache<KubeObject>({
      kubeConfig: this.options.kubeConfig,
      path,
      ...options,
      ...watch,
      log: (msg, fields) => logger.info(fields, msg),
      onError: (error) => logger.warn({ path, error: String(error) }, 'watch error'),
    });
  }

  private childCaches(kind: WatchedKind, objects: k8s.KubernetesObjectApi): WatchedCache<KubeObject>[] {
    return this.namespaces.map((namespace) =>
      this.cache(collectionPath(kind, namespace), {
        labelSelector: MANAGED_BY_SELECTOR,
        // By controller uid, so finding an app's children does not scan every cached object.
        indexBy: (child) =>
          (child.metadata?.ownerReferences ?? [])
            .filter((reference) => reference.controller === true)
            .map((reference) => reference.uid),
        list: ({ labelSelector }) =>
          objects.list(
            kind.apiVersion,
            kind.kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            labelSelector,
          ),
        onEvent: (_type, child) => {
          const owner = appOwnerKey(child);
          if (owner) this.enqueue(owner);
        },
      }),
    );
  }

  /** A namespace's key-set Secrets; each readable one is copied, each event queues its app. */
  private keySetWatch(namespace: string | undefined, core: k8s.CoreV1Api): WatchedCache<KubeObject> {
    return this.cache(collectionPath(KEY_SET_KIND, namespace), {
      labelSelector: KEY_SET_SELECTOR,
      list: async ({ labelSelector }) =>
        (namespace === undefined
          ? await core.listSecretForAllNamespaces({ labelSelector })
          : await core.listNamespacedSecret({ namespace, labelSelector })) as unknown as {
          items: KubeObject[];
        },
      onEvent: (type, secret) => {
        const owner = appOwnerUid(secret);
        const stored = readKeySetSecret(secret as StoredSecret);
        if (owner && type !== 'deleted' && stored.document) this.keySetCopies.set(owner, stored);
        const app = appOwnerKey(secret);
        if (app) this.enqueue(app);
      },
    });
  }

  private async serviceMonitorApiChanged(
    available: boolean,
    objects: k8s.KubernetesObjectApi,
  ): Promise<void> {
    this.options.logger.info({ available }, 'ServiceMonitor API availability changed');
    const key = kindKey(SERVICE_MONITOR_KIND);
    const previous = this.children.get(key) ?? [];
    this.children.delete(key);
    await Promise.all(previous.map((cache) => cache.stop()));
    if (available && !this.stopping) {
      const caches = this.childCaches(SERVICE_MONITOR_KIND, objects);
      this.children.set(key, caches);
      try {
        await Promise.all(caches.map((cache) => cache.start()));
      } catch (error) {
        // Stopped before the first list: the operator is shutting down or the API went away again.
        this.options.logger.debug(
          { error: String(error) },
          'ServiceMonitor cache stopped before its first list',
        );
        return;
      }
    }
    this.resync();
  }

  private allCaches(): WatchedCache<KubeObject>[] {
    return [...this.apps, ...this.keySets, ...[...this.children.values()].flat()];
  }

  private keySetCache(namespace: string): WatchedCache<KubeObject> | undefined {
    return this.keySets[this.indexOf(namespace)];
  }

  private async stopCaches(): Promise<void> {
    await Promise.all([...this.allCaches().map((cache) => cache.stop()), this.serviceMonitorApi.stop()]);
  }

  private indexOf(namespace: string): number {
    return this.namespaces[0] === undefined ? 0 : this.namespaces.indexOf(namespace);
  }

  private appCache(namespace: string): WatchedCache<KubeObject> | undefined {
    return this.apps[this.indexOf(namespace)];
  }

  private childCache(key: string, namespace: string): WatchedCache<KubeObject> | undefined {
    return this.children.get(key)?.[this.indexOf(namespace)];
  }

  private ownedChildren(namespace: string, ownerUid: string): OwnedChild[] {
    return [...OWNED_KINDS, SERVICE_MONITOR_KIND].flatMap((kind) =>
      (this.childCache(kindKey(kind), namespace)?.indexed(ownerUid) ?? []).map((object) => ({
        kind,
        object: object as OwnedChild['object'],
      })),
    );
  }

  private remember(object: KubeObject): void {
    const namespace = object.metadata?.namespace ?? '';
    if (object.kind === SKELETON_APP_KIND.kind) this.appCache(namespace)?.remember(object);
    else if (object.kind === KEY_SET_KIND.kind) this.keySetCache(namespace)?.remember(object);
    else if (object.apiVersion && object.kind)
      this.childCache(kindKey({ apiVersion: object.apiVersion, kind: object.kind }), namespace)?.remember(
        object,
      );
  }

  private enqueue(key: string): void {
    this.queue?.add(key);
  }

  private startLeading(): void {
    if (this.stopping || this.queue) return;
    const { logger, config } = this.options;
    logger.info({ identity: config.leaderElection.identity }, 'leading: reconciling SkeletonApps');
    this.metrics.setLeader(config.leaderElection.leaseName, true);
    const observer = this.metrics.queueObserver(() => this.queue?.depth ?? 0);
    this.queue = new WorkQueue(this.reconcile, {
      concurrency: config.concurrency,
      timeoutMs: this.options.reconcileTimeoutMs ?? 60_000,
      ...this.options.queue,
      observer: {
        ...observer,
        finished: (key, seconds, outcome, error) => {
          observer.finished?.(key, seconds, outcome, error);
          if (outcome === 'error') logger.warn({ key, error: describe(error) }, 'reconcile failed; retrying');
        },
      },
    });
    this.resync();
    const period = this.options.resyncPeriodMs ?? 600_000;
    this.resyncTimer = setInterval(() => this.resync(), period);
    this.resyncTimer.unref();
  }

  private async stopLeading(): Promise<void> {
    this.metrics.setLeader(this.options.config.leaderElection.leaseName, false);
    if (this.stopping) return;
    this.options.logger.error({}, 'lost leadership; stopping reconciles');
    clearInterval(this.resyncTimer);
    const queue = this.queue;
    this.queue = undefined;
    await queue?.shutdown(0);
    this.options.onLostLeadership?.();
  }
}

/** An error as one log line: the API server's message when there is one, never a stack for a 4xx. */
export function describe(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    return `HTTP ${error.code}: ${body.slice(0, 500)}`;
  }
  return error instanceof Error ? error.message : String(error);
}
