import { groupVersion, type ResourceType } from './resource-registry.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  resourceVersion: number;
  type: WatchEventType;
  resource: string;
  object: KubeObject;
}

export interface WatchFilter {
  resource: ResourceType;
  namespace?: string;
}

export class ResourceVersionTooOld extends Error {
  override name = 'ResourceVersionTooOld';
}

const resourceKey = (resource: ResourceType) => `${groupVersion(resource)}/${resource.plural}`;
const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Objects and their history. Every write takes the next value of one global counter as its
 * resourceVersion (kube-apiserver hands etcd's revision to clients as an opaque string), and is
 * kept in a bounded history so a watch can resume from any resourceVersion still in it; an older
 * one is gone (410). Business rules live in the handlers; this only stores and notifies.
 */
export class ObjectStore {
  private revision = 0;
  /** Per resource (so a list reads only its own kind), then by `namespace/name`. */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoredEvent[] = [];
  /** Events before this revision have been compacted away. */
  private compactedThrough = 0;
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(private readonly historySize = 1000) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get oldestResumableRevision(): number {
    return this.compactedThrough;
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const object = this.objects.get(resourceKey(resource))?.get(objectKey(namespace, name));
    return object && structuredClone(object);
  }

  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const objects = this.objects.get(resourceKey(resource)) ?? new Map<string, KubeObject>();
    return [...objects.entries()]
      .filter(([, object]) => namespace === undefined || object.metadata.namespace === namespace)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, object]) => structuredClone(object));
  }

  /** The first object of the kind in `namespace` that matches, without copying the others. */
  find(
    resource: ResourceType,
    namespace: string | undefined,
    predicate: (object: KubeObject) => boolean,
  ): KubeObject | undefined {
    for (const object of this.objects.get(resourceKey(resource))?.values() ?? []) {
      if ((namespace === undefined || object.metadata.namespace === namespace) && predicate(object))
        return structuredClone(object);
    }
    return undefined;
  }

  /** Stores a new version of an object (created or changed) and returns it as stored. */
  put(resource: ResourceType, object: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    const key = resourceKey(resource);
    let objects = this.objects.get(key);
    if (!objects) {
      objects = new Map();
      this.objects.set(key, objects);
    }
    objects.set(objectKey(stored.metadata.namespace, stored.metadata.name as string), stored);
    this.record(type, resource, stored);
    return structuredClone(stored);
  }

  remove(resource: ResourceType, object: KubeObject): KubeObject {
    this.objects
      .get(resourceKey(resource))
      ?.delete(objectKey(object.metadata.namespace, object.metadata.name as string));
    const gone = structuredClone(object);
    gone.metadata.resourceVersion = String(++this.revision);
    this.record('DELETED', resource, gone);
    return gone;
  }

  /**
   * Events after `fromRevision` that match, then every new one, until the returned function is
   * called. Throws ResourceVersionTooOld when the history no longer reaches back that far.
   */
  watch(filter: WatchFilter, fromRevision: number, send: (event: StoredEvent) => void): () => void {
    if (fromRevision < this.compactedThrough) {
      throw new ResourceVersionTooOld(`too old resource version: ${fromRevision} (${this.compactedThrough})`);
    }
    const key = resourceKey(filter.resource);
    const matches = (event: StoredEvent) =>
      event.resource === key &&
      (filter.namespace === undefined || event.object.metadata.namespace === filter.namespace);
    for (const event of this.history) {
      if (event.resourceVersion > fromRevision && matches(event)) send(event);
    }
    const listener = (event: StoredEvent) => {
      if (matches(event)) send(event);
    };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets all history (fault injection): every watch resuming from before now gets 410. */
  compact(): void {
    this.history = [];
    this.compactedThrough = this.revision;
  }

  private record(type: WatchEventType, resource: ResourceType, object: KubeObject): void {
    const event = {
      resourceVersion: this.revision,
      type,
      resource: resourceKey(resource),
      object: structuredClone(object),
    };
    this.history.push(event);
    if (this.history.length > this.historySize) {
      const dropped = this.history.shift() as StoredEvent;
      this.compactedThrough = dropped.resourceVersion;
    }
    for (const listener of this.listeners) listener(event);
  }
}
