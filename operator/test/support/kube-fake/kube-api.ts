import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  type CustomResourceProcessor,
  compileCustomResourceSchema,
  type JSONSchemaProps,
  unknownFields,
} from './custom-resource-schema.js';
import { deepEqual } from './field-sets.js';
import { nextGeneration } from './generation.js';
import { immutableFieldCauses } from './immutable-fields.js';
import { jobStatusCauses } from './job-status.js';
import type { ObjectStore } from './object-store.js';
import {
  type JsonPatchOperation,
  jsonPatch,
  mergePatch,
  PatchError,
  strategicMergePatch,
} from './patches.js';
import { groupVersion, type ResourceRegistry, type ResourceType } from './resource-registry.js';
import { ApplyError, apply, recordUpdate } from './server-side-apply.js';
import {
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  fieldRequired,
  invalid,
  notFound,
  unsupportedMediaType,
} from './status-errors.js';
import type { KubeObject } from './types.js';

export type Subresource = 'status' | undefined;
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

const FOREGROUND = 'foregroundDeletion';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export interface WriteOptions {
  /** `?fieldManager=`; who the changed fields are recorded for in managedFields. */
  manager: string;
  subresource?: Subresource;
  /** `?force=true` on server-side apply. */
  force?: boolean;
  /** `?fieldValidation=Strict`: a custom resource's unknown fields are refused, not pruned. */
  strict?: boolean;
}

/** Fields only the server sets; a client's values for them are ignored. */
const SERVER_OWNED_METADATA = [
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'deletionTimestamp',
] as const;

const CRDS = { group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' };
const isCrd = (resource: ResourceType) => resource.group === CRDS.group && resource.plural === CRDS.plural;

/**
 * The verbs' rules, over the store: identity and timestamps on create, optimistic concurrency on
 * update, generation, the status subresource, finalizers, patches and server-side apply with
 * field ownership, and custom resources checked against their CRD. The HTTP layer only translates.
 */
export class KubeApi {
  private readonly processors = new Map<ResourceType, CustomResourceProcessor>();

  constructor(
    readonly registry: ResourceRegistry,
    readonly store: ObjectStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const namespaces = registry.find('', 'v1', 'namespaces') as ResourceType;
    for (const name of ['default', 'kube-system']) {
      this.create(
        namespaces,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { manager: 'kube-fake' },
      );
    }
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.store.get(resource, namespace, name);
    if (!object) throw notFound(resource.group, resource.plural, name);
    return object;
  }

  list(
    resource: ResourceType,
    namespace: string | undefined,
  ): { items: KubeObject[]; resourceVersion: string } {
    return { items: this.store.list(resource, namespace), resourceVersion: this.store.resourceVersion };
  }

  create(
    resource: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    this.refuseUnknownFields(resource, body, options);
    const prepared = this.prepareCreate(resource, namespace, body);
    const object = recordUpdate(undefined, prepared, {
      manager: options.manager,
      now: this.now(),
      apiVersion: prepared.apiVersion,
    });
    return this.afterCreate(resource, this.store.put(resource, this.admit(resource, object), 'ADDED'));
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
    options: WriteOptions,
  ): KubeObject {
    this.refuseUnknownFields(resource, body, options);
    const current = this.get(resource, namespace, name);
    const expected = body.metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) {
      throw conflict(resource.group, resource.plural, name);
    }
    return this.writeUpdate(
      resource,
      current,
      this.merged(resource, current, body, options.subresource),
      options,
    );
  }

  /** "Update API Objects in Place Using kubectl patch" and "Server-Side Apply". */
  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    text: string,
    options: WriteOptions,
  ): KubeObject {
    const type = contentType.split(';')[0]?.trim();
    if (type === PATCH_TYPES.apply) return this.serverSideApply(resource, namespace, name, text, options);
    const current = this.get(resource, namespace, name);
    const body = parseJson(text);
    let patched: unknown;
    try {
      if (type === PATCH_TYPES.json) patched = jsonPatch(current, body as JsonPatchOperation[]);
      else if (type === PATCH_TYPES.merge) patched = mergePatch(current, body);
      else if (type === PATCH_TYPES.strategic && !resource.schema)
        patched = strategicMergePatch(current, body, { kind: resource.kind });
      else
        throw unsupportedMediaType(
          Object.values(PATCH_TYPES).filter((t) => !(resource.schema && t === PATCH_TYPES.strategic)),
        );
    } catch (error) {
      if (error instanceof PatchError)
        throw error.code === 'TestFailed'
          ? invalid(resource.kind, name, [], resource.group)
          : badRequest(error.message);
      throw error;
    }
    this.refuseUnknownFields(resource, patched, options);
    return this.writeUpdate(
      resource,
      current,
      this.merged(resource, current, patched as KubeObject, options.subresource),
      options,
    );
  }

  /** "Field validation", Strict: unknown fields of a custom resource are a 400, before any other check. */
  private refuseUnknownFields(resource: ResourceType, object: unknown, options: WriteOptions): void {
    if (!options.strict || !resource.schema) return;
    const unknown = unknownFields(object, resource.schema as JSONSchemaProps);
    if (unknown.length === 0) return;
    const { kind, version } = resource;
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${unknown
        .map((field) => `unknown field "${field}"`)
        .join(', ')}`,
    );
  }

  /**
   * "Finalizers": an object with finalizers is only marked (deletionTimestamp) and stays until the
   * last finalizer is removed; without, it goes at once. "Garbage Collection": Background (the
   * default) deletes the owner, then its dependents; Foreground keeps the owner, marked with the
   * foregroundDeletion finalizer, until its dependents are gone; Orphan releases them.
   */
  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    propagation: PropagationPolicy = 'Background',
  ): KubeObject {
    const current = this.get(resource, namespace, name);
    if (propagation === 'Orphan') this.orphanDependents(current);
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (
      propagation === 'Foreground' &&
      this.dependentsOf(current).length > 0 &&
      !finalizers.includes(FOREGROUND)
    ) {
      finalizers.push(FOREGROUND);
    }
    if (finalizers.length === 0) return this.remove(resource, current);
    const unchanged = finalizers.length === (current.metadata.finalizers ?? []).length;
    if (current.metadata.deletionTimestamp && unchanged) return current;
    const marked = this.store.put(
      resource,
      {
        ...current,
        metadata: {
          ...current.metadata,
          finalizers,
          deletionTimestamp: current.metadata.deletionTimestamp ?? this.now(),
          deletionGracePeriodSeconds: 0,
        },
      },
      'MODIFIED',
    );
    if (finalizers.includes(FOREGROUND)) this.collectForeground(resource, marked);
    return marked;
  }

  private serverSideApply(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    text: string,
    options: WriteOptions,
  ): KubeObject {
    if (!options.manager)
      throw badRequest(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    let applied: KubeObject;
    try {
      applied = parseYaml(text) as KubeObject;
    } catch {
      throw badRequest('the apply configuration is not valid YAML or JSON');
    }
    if (!applied || typeof applied !== 'object' || !applied.metadata)
      throw badRequest('the apply configuration needs apiVersion, kind and metadata');
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest('the name of the object does not match the name on the URL');
    }
    const current = this.store.get(resource, namespace, name);
    const now = this.now();
    let result: ReturnType<typeof apply>;
    try {
      result = apply(
        current,
        { ...applied, metadata: { ...applied.metadata, name } },
        {
          manager: options.manager,
          force: options.force ?? false,
          now,
          apiVersion: groupVersion(resource),
          subresource: options.subresource,
        },
      );
    } catch (error) {
      if (error instanceof ApplyError)
        throw error.reason === 'NotFound'
          ? notFound(resource.group, resource.plural, name)
          : badRequest(error.message);
      throw error;
    }
    if ('conflicts' in result) throw applyConflict(result.conflicts);
    if (!current) {
      // Apply creates: the create rules (identity, namespace, no status) still hold, and the
      // ownership apply computed is kept as it is.
      const prepared = this.prepareCreate(resource, namespace, result.object);
      prepared.metadata.managedFields = result.object.metadata.managedFields;
      return this.afterCreate(resource, this.store.put(resource, this.admit(resource, prepared), 'ADDED'));
    }
    const next = this.merged(resource, current, result.object, options.subresource);
    next.metadata.managedFields = result.object.metadata.managedFields;
    return this.write(resource, current, next);
  }

  private prepareCreate(resource: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    const metadata = { ...body.metadata };
    if (!metadata.name && metadata.generateName)
      metadata.name = `${metadata.generateName}${randomUUID().slice(0, 5)}`;
    if (!metadata.name) {
      throw invalid(
        resource.kind,
        '',
        [fieldRequired('metadata.name', 'name or generateName is required')],
        resource.group,
      );
    }
    if (resource.namespaced) {
      if (metadata.namespace !== undefined && namespace !== undefined && metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = namespace ?? metadata.namespace;
      if (!metadata.namespace) throw badRequest('the server could not find the requested namespace');
      const namespaces = this.registry.find('', 'v1', 'namespaces') as ResourceType;
      if (!this.store.get(namespaces, undefined, metadata.namespace))
        throw notFound('', 'namespaces', metadata.namespace);
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
      metadata: {
        ...metadata,
        uid: randomUUID(),
        creationTimestamp: this.now(),
        ...(resource.generation ? { generation: 1 } : {}),
      },
    };
    // With a status subresource, status is the controllers' to write, never the creator's: it
    // starts as the kind's empty status (a created Deployment comes back with `status: {}`).
    if (resource.statusSubresource) {
      if (resource.createdStatus) object.status = structuredClone(resource.createdStatus);
      else delete object.status;
    }
    return object;
  }

  /** The stored object with the request's changes, as the endpoint allows them. */
  private merged(
    resource: ResourceType,
    current: KubeObject,
    body: KubeObject,
    subresource: Subresource,
  ): KubeObject {
    if (subresource === 'status') {
      if (resource.group === 'batch' && resource.kind === 'Job') {
        const causes = jobStatusCauses(body.status as Parameters<typeof jobStatusCauses>[0]);
        if (causes.length > 0)
          throw invalid(resource.kind, current.metadata.name as string, causes, resource.group);
      }
      return { ...current, status: body.status };
    }
    const { uid, creationTimestamp, generation, resourceVersion, deletionTimestamp, name, namespace } =
      current.metadata;
    const metadata = {
      ...body.metadata,
      uid,
      creationTimestamp,
      generation,
      resourceVersion,
      name,
      namespace,
    };
    if (deletionTimestamp !== undefined) metadata.deletionTimestamp = deletionTimestamp;
    if (namespace === undefined) delete metadata.namespace;
    const next: KubeObject = { ...body, apiVersion: current.apiVersion, kind: current.kind, metadata };
    if (resource.statusSubresource) next.status = current.status;
    if (next.status === undefined) delete next.status;
    return next;
  }

  /** A write that is not an apply: its changed fields become its manager's (an Update entry). */
  private writeUpdate(
    resource: ResourceType,
    current: KubeObject,
    next: KubeObject,
    options: WriteOptions,
  ): KubeObject {
    const recorded = recordUpdate(current, next, {
      manager: options.manager,
      now: this.now(),
      apiVersion: current.apiVersion,
      subresource: options.subresource,
    });
    return this.write(resource, current, recorded);
  }

  private write(resource: ResourceType, current: KubeObject, candidate: KubeObject): KubeObject {
    const immutable = immutableFieldCauses(resource, current, candidate);
    if (immutable.length > 0)
      throw invalid(resource.kind, current.metadata.name as string, immutable, resource.group);
    const next = this.admit(resource, candidate, current);
    if (resource.generation) next.metadata.generation = nextGeneration(current, next);
    else delete next.metadata.generation;
    // A write that changes nothing is no write: no new resourceVersion, no event.
    if (deepEqual(next, current)) return current;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.remove(resource, next);
    }
    const stored = this.store.put(resource, next, 'MODIFIED');
    // A changed CRD serves its new schema (and rules) from the next request on.
    if (isCrd(resource) && !stored.metadata.deletionTimestamp)
      this.registry.addCustomResource(stored as never);
    return stored;
  }

  /**
   * "Extend the Kubernetes API with CustomResourceDefinitions": prune, default, validate; `old` is the
   * stored object an update replaces.
   */
  private admit(resource: ResourceType, object: KubeObject, old?: KubeObject): KubeObject {
    if (!resource.schema) return object;
    let processor = this.processors.get(resource);
    if (!processor) {
      processor = compileCustomResourceSchema(
        resource.schema as Parameters<typeof compileCustomResourceSchema>[0],
      );
      this.processors.set(resource, processor);
    }
    const result = processor(object, old);
    if ('error' in result) throw result.error;
    return result.object;
  }

  /** A new CRD starts serving its kind at once and reports itself Established. */
  private afterCreate(resource: ResourceType, stored: KubeObject): KubeObject {
    if (!isCrd(resource)) return stored;
    this.registry.addCustomResource(stored as never);
    const now = this.now();
    const condition = (type: string, reason: string) => ({
      type,
      status: 'True',
      reason,
      message: '',
      lastTransitionTime: now,
    });
    return this.store.put(
      resource,
      {
        ...stored,
        status: {
          conditions: [
            condition('NamesAccepted', 'NoConflicts'),
            condition('Established', 'InitialNamesAccepted'),
          ],
        },
      },
      'MODIFIED',
    );
  }

  /** Every stored object that names `owner` (by uid) among its ownerReferences. */
  private dependentsOf(owner: KubeObject): Array<{ resource: ResourceType; object: KubeObject }> {
    const uid = owner.metadata.uid;
    return this.everything().filter(({ object }) =>
      (object.metadata.ownerReferences ?? []).some((reference) => reference.uid === uid),
    );
  }

  /** Every stored object once: a kind that is a view of another's objects (storedAs) adds none. */
  private everything(): Array<{ resource: ResourceType; object: KubeObject }> {
    return this.registry
      .all()
      .filter((resource) => resource.storedAs === undefined)
      .flatMap((resource) => this.store.list(resource).map((object) => ({ resource, object })));
  }

  private orphanDependents(owner: KubeObject): void {
    for (const { resource, object } of this.dependentsOf(owner)) {
      const ownerReferences = (object.metadata.ownerReferences ?? []).filter(
        (reference) => reference.uid !== owner.metadata.uid,
      );
      this.store.put(resource, { ...object, metadata: { ...object.metadata, ownerReferences } }, 'MODIFIED');
    }
  }

  /** Deletes the dependents first; the owner goes once none is left. */
  private collectForeground(resource: ResourceType, owner: KubeObject): void {
    for (const dependent of this.dependentsOf(owner)) {
      const { name, namespace } = dependent.object.metadata;
      if (this.store.get(dependent.resource, namespace, name as string)) {
        this.delete(dependent.resource, namespace, name as string, 'Foreground');
      }
    }
    const current = this.store.get(resource, owner.metadata.namespace, owner.metadata.name as string);
    if (current && this.dependentsOf(current).length === 0) {
      const finalizers = (current.metadata.finalizers ?? []).filter((finalizer) => finalizer !== FOREGROUND);
      this.write(resource, current, { ...current, metadata: { ...current.metadata, finalizers } });
    }
  }

  private remove(resource: ResourceType, object: KubeObject): KubeObject {
    const removed = this.removeOne(resource, object);
    // Background collection: a dependent none of whose owners exists any more is deleted in turn.
    const existing = new Set(this.everything().map(({ object: other }) => other.metadata.uid));
    for (const dependent of this.dependentsOf(object)) {
      const owners = dependent.object.metadata.ownerReferences ?? [];
      const { name, namespace } = dependent.object.metadata;
      if (
        owners.every((reference) => !existing.has(reference.uid)) &&
        this.store.get(dependent.resource, namespace, name as string)
      ) {
        this.delete(dependent.resource, namespace, name as string);
      }
    }
    // A foreground deletion waiting on this object may now complete.
    const ownerUids = new Set((object.metadata.ownerReferences ?? []).map((reference) => reference.uid));
    for (const owner of this.everything()) {
      if (
        ownerUids.has(owner.object.metadata.uid as string) &&
        (owner.object.metadata.finalizers ?? []).includes(FOREGROUND)
      ) {
        this.collectForeground(owner.resource, owner.object);
      }
    }
    return removed;
  }

  private removeOne(resource: ResourceType, object: KubeObject): KubeObject {
    if (isCrd(resource)) {
      for (const served of this.registry.customResourceTypes(object as never)) {
        for (const item of this.store.list(served)) this.store.remove(served, item);
      }
      this.registry.removeCustomResource(object as never);
    }
    return this.store.remove(resource, object);
  }

  private now(): string {
    return this.clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}
