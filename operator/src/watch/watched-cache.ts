import * as k8s from '@kubernetes/client-node';
import { Backoff, type BackoffOptions } from './backoff.js';

export type KubeObject = k8s.KubernetesObject;

export type WatchedEventType = 'added' | 'updated' | 'deleted';

export interface ListResult<T extends KubeObject = KubeObject> {
  metadata?: { resourceVersion?: string };
  items: T[];
}

export interface WatchedCacheOptions<T extends KubeObject = KubeObject> {
  kubeConfig: k8s.KubeConfig;
  /** The collection to watch, e.g. /api/v1/namespaces/x/configmaps or /apis/g/v1/skeletonapps. */
  path: string;
  /** Lists the collection; it is given the selectors and must apply them. */
  list: (options: { labelSelector?: string; fieldSelector?: string }) => Promise<ListResult<T>>;
  labelSelector?: string;
  fieldSelector?: string;
  /** A watch without any event or bookmark for this long is considered dead and restarted. Default 5 min. */
  inactivityTimeoutMs?: number;
  /**
   * The timeoutSeconds each watch asks for, so the server ends it cleanly and no proxy or load balancer
   * holds it forever. Default: 5 to 10 minutes at random, as client-go's reflector spreads them.
   */
  watchTimeoutSeconds?: () => number;
  /**
   * Relist when nothing (no event, no bookmark) has arrived for this long across watches: a server
   * behind the resourceVersion asked for answers with silence. Default 2 minutes, twice the interval
   * at which kube-apiserver sends bookmarks, so a quiet but healthy watch never trips it.
   */
  relistAfterSilenceMs?: number;
  backoff?: BackoffOptions;
  onEvent: (type: WatchedEventType, object: T, old?: T) => void | Promise<void>;
  onError?: (error: unknown) => void;
  /** Keys to index each object under (e.g. its owners' uids), for {@link WatchedCache.indexed}. */
  indexBy?: (object: T) => string[];
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

type WatchOutcome =
  | { kind: 'expired' }
  | { kind: 'stopped' }
  | { kind: 'inactive' }
  | { kind: 'ended'; error?: unknown };

const MIN_WATCH_TIMEOUT_SECONDS = 300;

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

/** A copy of the object without metadata.managedFields. */
function stripped<T extends KubeObject>(object: T): T {
  if (!object.metadata?.managedFields) return object;
  const { managedFields: _dropped, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** Whether resourceVersion `a` is known to be newer than `b` (both decimal integers). */
function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { statusCode?: unknown; code?: unknown };
  if (typeof record.statusCode === 'number') return record.statusCode;
  if (typeof record.code === 'number') return record.code;
  return undefined;
}

/**
 * List + watch of one collection into a local cache ("watch supervision"): relists on 410 Expired
 * (reconciling the cache: added / updated / deleted), re-watches from the last resourceVersion after
 * jittered back-off on any other end or error, restarts a watch that has been silent for
 * inactivityTimeoutMs, relists when the server has said nothing for relistAfterSilenceMs, and reports
 * handler exceptions instead of losing them.
 */
export class WatchedCache<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  /** Index key → cache keys, kept in step with the cache by store() and drop(). */
  private readonly index = new Map<string, Set<string>>();
  private readonly backoff: Backoff;
  private readonly inactivityTimeoutMs: number;
  private readonly watchTimeoutSeconds: () => number;
  private readonly relistAfterSilenceMs: number;
  /** When the server last said anything: a list, an event or a bookmark (performance.now()). */
  private heardAt = 0;
  private rv: string | undefined;
  private listed = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private abortWatch: (() => void) | undefined;
  private cancelSleep: (() => void) | undefined;
  private firstList: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly options: WatchedCacheOptions<T>) {
    this.backoff = new Backoff(options.backoff);
    this.inactivityTimeoutMs = options.inactivityTimeoutMs ?? 5 * 60_000;
    this.relistAfterSilenceMs = options.relistAfterSilenceMs ?? 2 * 60_000;
    this.watchTimeoutSeconds =
      options.watchTimeoutSeconds ?? (() => Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + Math.random())));
  }

  /** The resourceVersion the cache is current at (from the last list, event or bookmark). */
  get resourceVersion(): string | undefined {
    return this.rv;
  }

  /** Whether the first list has been stored (the readiness of a controller's caches). */
  get synced(): boolean {
    return this.listed;
  }

  /** Starts the loop; resolves once the first list is in the cache (failed lists are retried). */
  start(): Promise<void> {
    if (this.running) throw new Error('WatchedCache already started');
    this.stopped = false;
    const listed = new Promise<void>((resolve, reject) => {
      this.firstList = { resolve, reject };
    });
    this.running = this.run().catch((error: unknown) => this.report('watch loop failed', error));
    return listed;
  }

  /** Stops the loop and the open watch; no further requests are made. Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.cancelSleep?.();
    this.firstList?.reject(new Error('WatchedCache stopped before the first list'));
    this.firstList = undefined;
    await this.running;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(keyOf(namespace, name));
  }

  /**
   * Read-your-writes: stores the object a write returned, so the next reconcile sees it before the
   * watch delivers it. An object the cache already holds at a newer resourceVersion is kept (a
   * controller may have written after us); resourceVersions are compared only when both are
   * integers, as etcd's are, and otherwise the written object wins until the watch corrects it.
   */
  remember(raw: T): void {
    const object = stripped(raw);
    const key = keyOf(object.metadata?.namespace, object.metadata?.name);
    const cached = this.cache.get(key);
    if (cached && isNewer(cached.metadata?.resourceVersion, object.metadata?.resourceVersion)) return;
    this.store(key, object);
  }

  /** The objects indexed under `value` by the indexBy option, without scanning the cache. */
  indexed(value: string): T[] {
    return [...(this.index.get(value) ?? [])].map((key) => this.cache.get(key) as T);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata?.namespace === namespace);
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.relist();
        } catch (error) {
          if (this.stopped) break;
          this.report('list failed', error);
          await this.sleep(this.backoff.next());
          continue;
        }
        needList = false;
        this.heardAt = performance.now();
        this.listed = true;
        this.firstList?.resolve();
        this.firstList = undefined;
        if (this.stopped) break;
      }
      const outcome = await this.watchOnce();
      if (this.stopped || outcome.kind === 'stopped') break;
      if (outcome.kind === 'expired') {
        this.log('watch expired (410), relisting', { path: this.options.path, resourceVersion: this.rv });
        needList = true;
        continue;
      }
      const silentMs = performance.now() - this.heardAt;
      if (
        (outcome.kind === 'inactive' || outcome.error === undefined) &&
        silentMs >= this.relistAfterSilenceMs
      ) {
        // A server behind the asked-for resourceVersion (a restored etcd, a lagging replica) waits
        // for it and sends nothing, not even bookmarks: a fresh list starts from what it has.
        this.log('no event or bookmark for too long, relisting', {
          path: this.options.path,
          resourceVersion: this.rv,
          silentMs: Math.round(silentMs),
        });
        needList = true;
        await this.sleep(this.backoff.next());
        continue;
      }
      if (outcome.kind === 'inactive') {
        this.log('watch inactive, restarting', {
          path: this.options.path,
          inactivityTimeoutMs: this.inactivityTimeoutMs,
        });
      } else if (outcome.error !== undefined && outcome.error !== null) {
        this.report('watch failed', outcome.error);
      } else {
        this.log('watch ended, re-watching', { path: this.options.path, resourceVersion: this.rv });
      }
      await this.sleep(this.backoff.next());
    }
  }

  /** List and reconcile the cache with it: added for new, updated for changed, deleted for vanished. */
  private async relist(): Promise<void> {
    const { labelSelector, fieldSelector } = this.options;
    const result = await this.options.list({ labelSelector, fieldSelector });
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const raw of result.items) {
      const object = stripped(raw);
      const key = keyOf(object.metadata?.namespace, object.metadata?.name);
      seen.add(key);
      const old = this.cache.get(key);
      this.store(key, object);
      if (!old) this.emit('added', object);
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion)
        this.emit('updated', object, old);
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.drop(key);
      this.emit('deleted', old, old);
    }
    this.rv = result.metadata?.resourceVersion;
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let expired = false;
      let controller: AbortController | undefined;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: WatchOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abortWatch = undefined;
        controller?.abort();
        resolve(outcome);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish({ kind: 'inactive' }), this.inactivityTimeoutMs);
      };
      this.abortWatch = () => finish({ kind: 'stopped' });
      arm();
      const query: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds(),
      };
      if (this.rv) query.resourceVersion = this.rv;
      if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
      if (this.options.fieldSelector) query.fieldSelector = this.options.fieldSelector;
      new k8s.Watch(this.options.kubeConfig)
        .watch(
          this.options.path,
          query,
          (type: string, object: unknown) => {
            if (settled) return;
            this.heardAt = performance.now();
            arm();
            try {
              if (this.onWatchEvent(type, object)) expired = true;
            } catch (error) {
              this.report('watch event could not be applied', error);
            }
          },
          (error: unknown) => {
            if (expired || statusCodeOf(error) === 410) finish({ kind: 'expired' });
            else finish({ kind: 'ended', ...(error === undefined || error === null ? {} : { error }) });
          },
        )
        .then(
          (started) => {
            controller = started;
            if (settled) started.abort();
          },
          (error: unknown) => finish({ kind: 'ended', error }),
        );
    });
  }

  /** Applies one watch event; returns true for an ERROR 410 Expired (relist needed). */
  private onWatchEvent(type: string, object: unknown): boolean {
    if (type === 'ERROR') {
      const code = statusCodeOf(object);
      if (code === 410) return true;
      this.report('watch ERROR event', object);
      return false;
    }
    const incoming = object as T;
    const resourceVersion = incoming?.metadata?.resourceVersion;
    if (type === 'BOOKMARK') {
      if (resourceVersion) this.rv = resourceVersion;
      this.backoff.reset();
      return false;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') {
      this.log('unknown watch event type', { type });
      return false;
    }
    const fresh = stripped(incoming);
    const key = keyOf(fresh.metadata?.namespace, fresh.metadata?.name);
    const old = this.cache.get(key);
    if (resourceVersion) this.rv = resourceVersion;
    this.backoff.reset();
    if (type === 'DELETED') {
      this.drop(key);
      this.emit('deleted', fresh, old);
    } else {
      this.store(key, fresh);
      if (old) this.emit('updated', fresh, old);
      else this.emit('added', fresh);
    }
    return false;
  }

  private store(key: string, object: T): void {
    this.unindex(key);
    this.cache.set(key, object);
    for (const value of this.options.indexBy?.(object) ?? []) {
      let keys = this.index.get(value);
      if (!keys) {
        keys = new Set();
        this.index.set(value, keys);
      }
      keys.add(key);
    }
  }

  private drop(key: string): void {
    this.unindex(key);
    this.cache.delete(key);
  }

  private unindex(key: string): void {
    const old = this.cache.get(key);
    if (!old) return;
    for (const value of this.options.indexBy?.(old) ?? []) {
      const keys = this.index.get(value);
      keys?.delete(key);
      if (keys?.size === 0) this.index.delete(value);
    }
  }

  private emit(type: WatchedEventType, object: T, old?: T): void {
    const failed = (error: unknown) =>
      this.report(`onEvent(${type}) threw`, error, {
        namespace: object.metadata?.namespace,
        name: object.metadata?.name,
      });
    try {
      const result = this.options.onEvent(type, object, old);
      if (result && typeof (result as Promise<void>).catch === 'function')
        (result as Promise<void>).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  private report(msg: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.log(msg, { path: this.options.path, error: String(error), ...fields });
    try {
      this.options.onError?.(error);
    } catch (secondary) {
      this.log('onError threw', { path: this.options.path, error: String(secondary) });
    }
  }

  private log(msg: string, fields: Record<string, unknown>): void {
    try {
      this.options.log?.(msg, fields);
    } catch {
      // A failing logger must not stop the watch.
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.cancelSleep = undefined;
        resolve();
      }, ms);
      this.cancelSleep = () => {
        clearTimeout(timer);
        this.cancelSleep = undefined;
        resolve();
      };
    });
  }
}
