import { SKELETON_APP } from '@skeleton/charts';
import type { KubeApi } from '../../operator/test/support/kube-fake/kube-api.js';
import type { StoredEvent } from '../../operator/test/support/kube-fake/object-store.js';
import type { ResourceType } from '../../operator/test/support/kube-fake/resource-registry.js';
import { isReady, type SkeletonApp } from '../../operator/test/support/operator-harness.js';

/** When (performance.now(), ms) each step of one app happened in this process. */
export interface AppTimes {
  /** The create request was answered. */
  applied?: number;
  /** The last of its expected children was stored. */
  children?: number;
  /** Its status first said Ready for its current generation. */
  ready?: number;
}

export interface ChildRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

interface Tracked extends AppTimes {
  missing: number;
}

interface Waiter {
  pending: Set<string>;
  resolve(allReady: boolean): void;
}

export const appKey = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Follows apps through the fake's store notifications, in the process that runs the fake: the
 * moment a child is stored and the moment a status turns Ready are seen as they happen, without
 * polling anything. Children are recognised by kind, namespace and name, from the set the app's
 * spec renders to.
 */
export class ApplyTracker {
  private readonly apps = new Map<string, Tracked>();
  /** `apiVersion/kind/namespace/name` of a child not stored yet → its app's key. */
  private readonly owners = new Map<string, string>();
  private readonly watched = new Set<ResourceType>();
  private readonly unwatches: (() => void)[] = [];
  private waiters: Waiter[] = [];

  constructor(private readonly api: KubeApi) {
    const apps = api.registry.find(SKELETON_APP.group, SKELETON_APP.version, SKELETON_APP.plural);
    if (!apps) throw new Error('the SkeletonApp CRD is not installed in the fake');
    this.watch(apps, ({ type, object }) => {
      if (type !== 'DELETED') this.appChanged(object as unknown as SkeletonApp);
    });
  }

  /** Starts following an app before it is created: these are the children it should end up with. */
  expect(namespace: string, name: string, children: ChildRef[]): void {
    const key = appKey(namespace, name);
    this.apps.set(key, { missing: children.length });
    for (const child of children) {
      const resource = this.api.registry.byKind(child.apiVersion, child.kind);
      if (!resource) throw new Error(`the fake serves no ${child.apiVersion} ${child.kind}`);
      if (!this.watched.has(resource)) {
        this.watched.add(resource);
        this.watch(resource, ({ type, object }) => {
          if (type === 'ADDED') this.childStored(childKey(child.apiVersion, child.kind, object.metadata));
        });
      }
      this.owners.set(childKey(child.apiVersion, child.kind, { namespace, name: child.metadata.name }), key);
    }
  }

  applied(namespace: string, name: string, at: number): void {
    this.tracked(appKey(namespace, name)).applied = at;
  }

  times(key: string): AppTimes {
    const { applied, children, ready } = this.tracked(key);
    return { applied, children, ready };
  }

  /** Resolves true once every one of these apps has been Ready, false after `timeoutMs`. */
  whenReady(keys: string[], timeoutMs: number): Promise<boolean> {
    const pending = new Set(keys.filter((key) => this.tracked(key).ready === undefined));
    if (pending.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        resolve(false);
      }, timeoutMs);
      const entry: Waiter = {
        pending,
        resolve: (allReady) => {
          clearTimeout(timer);
          resolve(allReady);
        },
      };
      this.waiters.push(entry);
    });
  }

  stop(): void {
    for (const unwatch of this.unwatches.splice(0)) unwatch();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  private watch(resource: ResourceType, listener: (event: StoredEvent) => void): void {
    this.unwatches.push(this.api.store.watch({ resource }, Number(this.api.store.resourceVersion), listener));
  }

  private tracked(key: string): Tracked {
    const app = this.apps.get(key);
    if (!app) throw new Error(`${key} is not tracked`);
    return app;
  }

  private childStored(key: string): void {
    const owner = this.owners.get(key);
    if (owner === undefined) return;
    this.owners.delete(key);
    const app = this.tracked(owner);
    app.missing -= 1;
    if (app.missing === 0) app.children = performance.now();
  }

  private appChanged(object: SkeletonApp): void {
    const key = appKey(object.metadata.namespace, object.metadata.name);
    const app = this.apps.get(key);
    if (!app || app.ready !== undefined || !isReady(object)) return;
    app.ready = performance.now();
    this.waiters = this.waiters.filter((waiter) => {
      waiter.pending.delete(key);
      if (waiter.pending.size > 0) return true;
      waiter.resolve(true);
      return false;
    });
  }
}

function childKey(apiVersion: string, kind: string, metadata: { namespace?: string; name?: string }): string {
  return `${apiVersion}/${kind}/${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
}
