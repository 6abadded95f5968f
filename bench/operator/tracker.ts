import { SKELETON_APP } from '@skeleton/charts';
import { isReady, type SkeletonApp } from '../../operator/test/support/operator-harness.js';
import type { BenchBackend, KindRef } from './backend.js';

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
 * Follows apps through the API server's change notifications (the fake's store in this process, or
 * watches on the control plane): the moment a child is stored and the moment a status turns Ready
 * are seen as they arrive, without polling anything. Children are recognised by kind, namespace and
 * name, from the set the app's spec renders to.
 */
export class ApplyTracker {
  private readonly apps = new Map<string, Tracked>();
  /** `apiVersion/kind/namespace/name` of a child not stored yet → its app's key. */
  private readonly owners = new Map<string, string>();
  private readonly unfollows: (() => void)[] = [];
  private waiters: Waiter[] = [];

  private constructor() {}

  /** Follows the apps and the kinds of their children from now on. */
  static async start(backend: BenchBackend, childKinds: readonly KindRef[]): Promise<ApplyTracker> {
    const tracker = new ApplyTracker();
    const apps = { apiVersion: `${SKELETON_APP.group}/${SKELETON_APP.version}`, kind: SKELETON_APP.kind };
    tracker.unfollows.push(
      await backend.follow(apps, ({ type, object }) => {
        if (type !== 'DELETED') tracker.appChanged(object as unknown as SkeletonApp);
      }),
    );
    for (const kind of childKinds)
      tracker.unfollows.push(
        await backend.follow(kind, ({ type, object }) => {
          if (type === 'ADDED')
            tracker.childStored(childKey(kind.apiVersion, kind.kind, object.metadata ?? {}));
        }),
      );
    return tracker;
  }

  /** Starts following an app before it is created: these are the children it should end up with. */
  expect(namespace: string, name: string, children: ChildRef[]): void {
    const key = appKey(namespace, name);
    this.apps.set(key, { missing: children.length });
    for (const child of children)
      this.owners.set(childKey(child.apiVersion, child.kind, { namespace, name: child.metadata.name }), key);
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
    for (const unfollow of this.unfollows.splice(0)) unfollow();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
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
