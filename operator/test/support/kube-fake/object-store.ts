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

/** Where a kind's objects live: its own place, or the place of the kind it is a view of. */
const resourceKey = (resource: ResourceType) => {
  const stored = resource.storedAs ?? resource;
  return `${groupVersion(stored)}/${stored.plural}`;
};
/** An object as `resource` serves it, and as it is kept. */
const served = (resource: ResourceType, object: KubeObject) =>
  structuredClone(resource.storedAs ? resource.storedAs.fromStorage(object) : object);
const kept = (resource: ResourceType, object: KubeObject) =>
  withoutEmptyMetadata(structuredClone(resource.storedAs ? resource.storedAs.toStorage(object) : object));

/** ObjectMeta's lists and maps are `omitempty`: kube-apiserver stores an emptied one as absent. */
const OMITTED_WHEN_EMPTY = ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const;

function withoutEmptyMetadata(object: KubeObject): KubeObject {
  const metadata = object.metadata as Record<string, unknown>;
  for (const field of OMITTED_WHEN_EMPTY) {
    const value = metadata[field];
    if (value !== null && typeof value === 'object' && Object.keys(value).length === 0)
      delete metadata[field];
  }
  return object;
}
const objectKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

/**
 * Objects and their history. Every write takes the next value of one global counter as its
 * resourceVersion (kube-apiserver hands etcd's revision to clients as an opaque string), and is
 * kept in a bounded history so a watch can resume from any resourceVersion still in it; an older
 * one is gone (410). A kind that is a view of another's objects (ResourceType.storedAs) reads,
 * writes and watches them converted. Business rules live in the handlers; this only stores and notifies.
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
    return object && served(resource, object);
  }

  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const objects = this.objects.get(resourceKey(resource)) ?? new Map<string, KubeObject>();
    return [...objects.entries()]
      .filter(([, object]) => namespace === undefined || object.metadata.namespace === namespace)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, object]) => served(resource, object));
  }

  /** The first object of the kind in `namespace` that matches, without copying the others. */
  find(
    resource: ResourceType,
    namespace: string | undefined,
    predicate: (object: KubeObject) => boolean,
  ): KubeObject | undefined {
    for (const object of this.objects.get(resourceKey(resource))?.values() ?? []) {
      if (namespace !== undefined && object.metadata.namespace !== namespace) continue;
      const candidate = served(resource, object);
      if (predicate(candidate)) return candidate;
    }
    return undefined;
  }

  /** Stores a new version of an object (created or changed) and returns it as stored. */
  put(resource: ResourceType, object: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    const stored = kept(resource, object);
    stored.metadata.resourceVersion = String(++this.revision);
    const key = resourceKey(resource);
    let objects = this.objects.get(key);
    if (!objects) {
      objects = new Map();
      this.objects.set(key, objects);
    }
    objects.set(objectKey(stored.metadata.namespace, stored.metadata.name as string), stored);
    this.record(type, resource, stored);
    return served(resource, stored);
  }

  remove(resource: ResourceType, object: KubeObject): KubeObject {
    this.objects
      .get(resourceKey(resource))
      ?.delete(objectKey(object.metadata.namespace, object.metadata.name as string));
    const gone = kept(resource, object);
    gone.metadata.resourceVersion = String(++this.revision);
    this.record('DELETED', resource, gone);
    return served(resource, gone);
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
    const deliver = (event: StoredEvent) => send({ ...event, object: served(filter.resource, event.object) });
    for (const event of this.history) {
      if (event.resourceVersion > fromRevision && matches(event)) deliver(event);
    }
    // A watch from a revision the store has not reached yet sees nothing until it passes it.
    const listener = (event: StoredEvent) => {
      if (event.resourceVersion > fromRevision && matches(event)) deliver(event);
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
