import { randomUUID } from 'node:crypto';
import { nextGeneration } from './generation.js';
import type { ObjectStore } from './object-store.js';
import { groupVersion, type ResourceRegistry, type ResourceType } from './resource-registry.js';
import { alreadyExists, badRequest, conflict, fieldRequired, invalid, notFound } from './status-errors.js';
import type { KubeObject } from './types.js';

export type Subresource = 'status' | undefined;

/** Fields only the server sets; a client's values for them are ignored. */
const SERVER_OWNED_METADATA = [
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'deletionTimestamp',
] as const;

/**
 * The verbs' rules, over the store: identity and timestamps on create, optimistic concurrency on
 * update, generation, the status subresource and finalizers. The HTTP layer only translates.
 */
export class KubeApi {
  constructor(
    readonly registry: ResourceRegistry,
    readonly store: ObjectStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const namespaces = registry.find('', 'v1', 'namespaces') as ResourceType;
    for (const name of ['default', 'kube-system']) {
      this.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(resource, namespace, name);
    if (!object) throw notFound(resource.group, resource.plural, name);
    return object;
  }

  create(resource: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    const metadata = { ...body.metadata };
    if (!metadata.name && metadata.generateName)
      metadata.name = `${metadata.generateName}${randomUUID().slice(0, 5)}`;
    if (!metadata.name)
      throw invalid(
        resource.kind,
        '',
        [fieldRequired('metadata.name', 'name or generateName is required')],
        resource.group,
      );
    if (resource.namespaced) {
      if (metadata.namespace !== undefined && namespace !== undefined && metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = namespace ?? metadata.namespace;
      if (!metadata.namespace) throw badRequest('the server could not find the requested namespace');
      this.requireNamespace(metadata.namespace);
    } else {
      delete metadata.namespace;
    }
    if (this.store.get(resource, metadata.namespace, metadata.name)) {
      throw alreadyExists(resource.group, resource.plural, metadata.name);
    }
    for (const field of SERVER_OWNED_METADATA) delete metadata[field];
    const object: KubeObject = {
      ...body,
      apiVersion: groupVersion(resource),
      kind: resource.kind,
      metadata: { ...metadata, uid: randomUUID(), creationTimestamp: this.now(), generation: 1 },
    };
    // With a status subresource, status is the controllers' to write, never the creator's.
    if (resource.statusSubresource) delete object.status;
    return this.store.put(resource, object, 'ADDED');
  }

  /**
   * A full replacement. A resourceVersion in the body must match the stored one (409 otherwise);
   * without one the write is unconditional. Through the main endpoint status is kept as stored;
   * through /status only status changes.
   */
  update(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    subresource: Subresource,
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    const expected = body.metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) {
      throw conflict(resource.group, resource.plural, name);
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = { ...current, status: body.status };
    } else {
      const {
        uid,
        creationTimestamp,
        generation,
        resourceVersion,
        deletionTimestamp,
        name: storedName,
        namespace: storedNamespace,
      } = current.metadata;
      const metadata = {
        ...body.metadata,
        uid,
        creationTimestamp,
        generation,
        resourceVersion,
        deletionTimestamp,
        name: storedName,
        namespace: storedNamespace,
      };
      if (deletionTimestamp === undefined) delete metadata.deletionTimestamp;
      next = { ...body, apiVersion: current.apiVersion, kind: current.kind, metadata };
      if (resource.statusSubresource) next.status = current.status;
      if (next.status === undefined) delete next.status;
    }
    next.metadata.generation = nextGeneration(current, next);
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.store.remove(resource, next);
    }
    return this.store.put(resource, next, 'MODIFIED');
  }

  /**
   * "Finalizers": an object with finalizers is only marked (deletionTimestamp) and stays until the
   * last finalizer is removed; without, it goes at once.
   */
  delete(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const current = this.get(resource, namespace, name);
    if ((current.metadata.finalizers ?? []).length === 0) return this.store.remove(resource, current);
    if (current.metadata.deletionTimestamp) return current;
    return this.store.put(
      resource,
      {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: this.now(), deletionGracePeriodSeconds: 0 },
      },
      'MODIFIED',
    );
  }

  list(
    resource: ResourceType,
    namespace: string | undefined,
  ): { items: KubeObject[]; resourceVersion: string } {
    return { items: this.store.list(resource, namespace), resourceVersion: this.store.resourceVersion };
  }

  private requireNamespace(name: string): void {
    const namespaces = this.registry.find('', 'v1', 'namespaces') as ResourceType;
    if (!this.store.get(namespaces, undefined, name)) throw notFound('', 'namespaces', name);
  }

  private now(): string {
    return this.clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }
}
