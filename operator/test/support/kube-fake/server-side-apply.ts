/**
 * Server-side apply and managedFields tracking, modelled on structured-merge-diff (the library behind
 * Kubernetes' field manager) for the built-in list types in list-keys.ts. Pure: no I/O, inputs are
 * never mutated; timestamps come from the caller.
 */
import {
  type Comparison,
  clone,
  compareObjects,
  deepEqual,
  difference,
  fieldPaths,
  fieldSetOf,
  intersection,
  isEmpty,
  isPlainObject,
  itemElement,
  type JsonObject,
  membersWithDescendantsIn,
  normalize,
  removeFields,
  union,
} from './field-sets.js';
import { type ListType, listKeysAt } from './list-keys.js';
import type { FieldsV1, KubeObject, ManagedFieldsEntry } from './types.js';

export interface ApplyOptions {
  /** The field manager (`?fieldManager=`). */
  manager: string;
  /** `?force=true`: take ownership of conflicting fields instead of failing. */
  force: boolean;
  /** Timestamp written to the manager's entry (RFC 3339, e.g. `2024-01-01T00:00:00Z`). */
  now: string;
  /** apiVersion recorded in the manager's entry. */
  apiVersion: string;
  /** Apply to the status subresource: only `status` is taken from the applied object. */
  subresource?: 'status';
}

export interface UpdateOptions {
  manager: string;
  now: string;
  apiVersion: string;
  subresource?: 'status';
}

export interface ApplyConflict {
  manager: string;
  /** Human-readable field path, e.g. `.spec.replicas` or `.spec.template.spec.containers[name="api"].image`. */
  field: string;
}

export type ApplyResult = { object: KubeObject } | { conflicts: ApplyConflict[] };

/** An apply that cannot be carried out at all (as opposed to conflicts). */
export class ApplyError extends Error {
  override readonly name = 'ApplyError';
  constructor(
    message: string,
    readonly reason: 'NotFound' | 'BadRequest',
  ) {
    super(message);
  }
}

/** Manager that owns everything of an object that had no managedFields when first applied to. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Metadata fields set by the system: never merged from an applied configuration. */
const SYSTEM_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
] as const;

/** Fields never recorded in managedFields (Kubernetes' stripMeta manager). */
const IGNORED_FIELDS: FieldsV1 = {
  'f:apiVersion': {},
  'f:kind': {},
  'f:metadata': {
    '.': {},
    'f:name': {},
    'f:namespace': {},
    'f:creationTimestamp': {},
    'f:selfLink': {},
    'f:uid': {},
    'f:generation': {},
    'f:managedFields': {},
    'f:resourceVersion': {},
    'f:deletionTimestamp': {},
    'f:deletionGracePeriodSeconds': {},
  },
};

/**
 * Top-level struct fields that always exist (as empty structs) in a typed Kubernetes object, so an
 * update never "adds" them as a whole: no `.` on `f:spec`/`f:status` in Update entries.
 */
const ALWAYS_PRESENT: FieldsV1 = { 'f:spec': { '.': {} }, 'f:status': { '.': {} } };

// ---------------------------------------------------------------------------------------------------
// managedFields bookkeeping

interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  set: FieldsV1;
}

/** Entries are identified by manager, operation and subresource, plus apiVersion for Update entries. */
function managerId(m: {
  manager: string;
  operation: string;
  apiVersion: string;
  subresource?: string;
}): string {
  return JSON.stringify([
    m.manager,
    m.operation,
    m.operation === 'Update' ? m.apiVersion : '',
    m.subresource ?? '',
  ]);
}

function decodeManagers(entries: readonly ManagedFieldsEntry[] | undefined): Map<string, Manager> {
  const out = new Map<string, Manager>();
  for (const e of entries ?? []) {
    if (!e || typeof e.manager !== 'string' || !isPlainObject(e.fieldsV1)) continue;
    const m: Manager = {
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: e.apiVersion,
      time: e.time,
      set: normalize(e.fieldsV1),
    };
    if (e.subresource) m.subresource = e.subresource;
    const id = managerId(m);
    const prev = out.get(id);
    out.set(id, prev ? { ...m, set: union(prev.set, m.set) } : m);
  }
  return out;
}

/** Sorted as Kubernetes encodes them: Apply before Update, then by time, manager, apiVersion, subresource. */
function encodeManagers(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !isEmpty(m.set));
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      cmp(p.time ?? '', q.time ?? '') ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((m) => {
    const entry: ManagedFieldsEntry = {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: m.set,
    };
    if (m.subresource) entry.subresource = m.subresource;
    return entry;
  });
}

function withManagedFields(object: JsonObject, entries: ManagedFieldsEntry[]): KubeObject {
  const metadata = { ...(isPlainObject(object.metadata) ? object.metadata : {}) };
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
  return { ...object, metadata } as KubeObject;
}

function withoutManagedFields(object: KubeObject): JsonObject {
  const copy = clone(object) as JsonObject;
  if (isPlainObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function kindOf(...objects: Array<KubeObject | JsonObject | undefined>): string | undefined {
  for (const o of objects) if (o && typeof o.kind === 'string') return o.kind;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Merge (applied configuration into live)

function mergeValue(live: unknown, applied: unknown, path: string[], kind: string | undefined): unknown {
  if (applied === undefined) return live;
  if (isPlainObject(applied)) {
    const out: JsonObject = isPlainObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === undefined) continue;
      if (v === null) delete out[k];
      else out[k] = mergeValue(out[k], v, [...path, k], kind);
    }
    return out;
  }
  if (Array.isArray(applied)) {
    const listType = listKeysAt(path, kind);
    if (listType === 'atomic' || !Array.isArray(live)) return clone(applied);
    return mergeList(live, applied, listType, path, kind);
  }
  return applied;
}

/**
 * Associative-list merge, ordered like structured-merge-diff: items of the applied list keep the
 * applied order, live-only items keep their place relative to them.
 */
function mergeList(
  lhs: unknown[],
  rhs: unknown[],
  listType: ListType,
  path: string[],
  kind: string | undefined,
): unknown[] {
  const lPEs = lhs.map((item, i) => itemElement(listType, item, i, false));
  const rPEs = rhs.map((item, i) => itemElement(listType, item, i, false));
  const observedL = new Map<string, unknown>();
  lhs.forEach((item, i) => {
    const pe = lPEs[i] as string;
    if (!observedL.has(pe)) observedL.set(pe, item);
  });
  const observedR = new Map<string, unknown>();
  rhs.forEach((item, i) => {
    observedR.set(rPEs[i] as string, item);
  });
  const sharedOrder = rPEs.filter((pe) => observedL.has(pe));
  let nextShared = sharedOrder.shift();
  const mergedR = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (l: unknown, r: unknown): unknown =>
    listType === 'set' ? (r === undefined ? l : r) : mergeValue(l, r, path, kind);

  let lI = 0;
  let rI = 0;
  while (lI < lPEs.length || rI < rPEs.length) {
    if (lI < lPEs.length && rI < rPEs.length) {
      const pe = lPEs[lI] as string;
      if (pe === rPEs[rI]) {
        if (!mergedR.has(pe)) out.push(mergeItem(observedL.get(pe), observedR.get(pe)));
        mergedR.add(pe);
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (observedR.has(pe) && nextShared !== undefined && nextShared !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < lPEs.length) {
      const pe = lPEs[lI] as string;
      if (!observedR.has(pe)) {
        out.push(clone(lhs[lI]));
        lI++;
        continue;
      }
      if (mergedR.has(pe)) {
        lI++;
        continue;
      }
    }
    if (rI < rPEs.length) {
      const pe = rPEs[rI] as string;
      if (!mergedR.has(pe)) out.push(mergeItem(observedL.get(pe), observedR.get(pe)));
      mergedR.add(pe);
      rI++;
      if (nextShared !== undefined && nextShared === pe) nextShared = sharedOrder.shift();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Apply

/** The applied configuration with system fields removed (and, for status, only `status` kept). */
function sanitizeApplied(applied: KubeObject, subresource: 'status' | undefined): JsonObject {
  if (!isPlainObject(applied) || !isPlainObject(applied.metadata)) {
    throw new ApplyError('applied configuration must be an object with metadata', 'BadRequest');
  }
  const cfg = clone(applied) as JsonObject;
  const metadata = cfg.metadata as JsonObject;
  for (const f of SYSTEM_METADATA) delete metadata[f];
  if (subresource !== 'status') return cfg;
  const statusOnly: JsonObject = { apiVersion: cfg.apiVersion, kind: cfg.kind, metadata: {} };
  const md = statusOnly.metadata as JsonObject;
  if (metadata.name !== undefined) md.name = metadata.name;
  if (metadata.namespace !== undefined) md.namespace = metadata.namespace;
  if (cfg.status !== undefined) statusOnly.status = cfg.status;
  return statusOnly;
}

/**
 * Server-side apply of `applied` by `options.manager` onto `live` (undefined: create).
 *
 * Throws FieldSetError (from field-sets.ts) for associative-list items without key fields or with
 * duplicate keys, and ApplyError for a status apply to a missing object or a non-object config.
 */
export function apply(live: KubeObject | undefined, applied: KubeObject, options: ApplyOptions): ApplyResult {
  if (live === undefined && options.subresource === 'status') {
    throw new ApplyError('cannot apply to the status of an object that does not exist', 'NotFound');
  }
  const cfg = sanitizeApplied(applied, options.subresource);
  const kind = kindOf(live, cfg);
  const appliedSet = difference(fieldSetOf(cfg, { strict: true, kind }), IGNORED_FIELDS);

  const liveClean: JsonObject = live
    ? withoutManagedFields(live)
    : { apiVersion: cfg.apiVersion, kind: cfg.kind, metadata: {} };
  const managers = decodeManagers(live?.metadata.managedFields);
  if (live && managers.size === 0) {
    const set = difference(fieldSetOf(liveClean, { kind }), IGNORED_FIELDS);
    const m: Manager = {
      manager: BEFORE_FIRST_APPLY,
      operation: 'Update',
      apiVersion: live.apiVersion,
      time: options.now,
      set,
    };
    managers.set(managerId(m), m);
  }

  const self: Manager = {
    manager: options.manager,
    operation: 'Apply',
    apiVersion: options.apiVersion,
    time: options.now,
    set: appliedSet,
  };
  if (options.subresource) self.subresource = options.subresource;
  const selfId = managerId(self);
  const previous = managers.get(selfId);
  const lastSet = previous?.set ?? {};
  const others = [...managers.entries()].filter(([id]) => id !== selfId);

  // merge, then prune what this manager applied last time, omits now, and nobody else owns
  const merged = mergeValue(liveClean, cfg, [], kind) as JsonObject;
  const keep = union(appliedSet, ...others.map(([, m]) => m.set));
  let toRemove = difference(lastSet, keep);
  toRemove = difference(toRemove, membersWithDescendantsIn(toRemove, keep));
  const result = isEmpty(toRemove) ? merged : removeFields(merged, toRemove, { kind });

  // conflicts: fields this apply changes that other managers own
  const change = compareFor(liveClean, result, kind);
  const changed = union(change.modified, change.added);
  const conflicts: ApplyConflict[] = [];
  const conflictSets = new Map<string, FieldsV1>();
  for (const [id, m] of others) {
    const c = intersection(m.set, changed);
    if (isEmpty(c)) continue;
    conflictSets.set(id, c);
    for (const field of fieldPaths(c)) conflicts.push({ manager: m.manager, field });
  }
  if (conflicts.length > 0 && !options.force) return { conflicts };

  for (const [id, m] of others) {
    const c = conflictSets.get(id);
    let set = c ? difference(m.set, c) : m.set;
    set = difference(set, change.removed);
    if (isEmpty(set)) managers.delete(id);
    else managers.set(id, { ...m, set });
  }

  const objectChanged = !deepEqual(liveClean, result);
  if (previous && !objectChanged && deepEqual(previous.set, appliedSet)) self.time = previous.time;
  if (isEmpty(appliedSet)) managers.delete(selfId);
  else managers.set(selfId, self);

  const base = objectChanged ? result : liveClean;
  return { object: withManagedFields(base, encodeManagers(managers)) };
}

function compareFor(before: JsonObject, after: JsonObject, kind: string | undefined): Comparison {
  const c = compareObjects(before, after, { kind });
  return {
    added: difference(c.added, IGNORED_FIELDS),
    removed: difference(c.removed, IGNORED_FIELDS),
    modified: difference(c.modified, IGNORED_FIELDS),
  };
}

// ---------------------------------------------------------------------------------------------------
// Non-apply writes

/**
 * Record a create/update/patch (`before` undefined for a create) made by `options.manager`: the
 * fields that changed join that manager's Update entry and leave every other manager's set. Never
 * conflicts.
 *
 * managedFields come from `before`, unless the request object carries its own (non-status writes
 * only, as Kubernetes allows): a non-empty list replaces them, an empty list (or `[{}]`) resets them,
 * in which case nothing is recorded.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  options: UpdateOptions,
): KubeObject {
  const requested = after.metadata?.managedFields;
  const beforeClean: JsonObject = before ? withoutManagedFields(before) : {};
  const afterClean = withoutManagedFields(after);

  const isReset =
    requested !== undefined &&
    (requested.length === 0 ||
      (requested.length === 1 && isPlainObject(requested[0]) && Object.keys(requested[0]).length === 0));
  if (isReset && !options.subresource) return withManagedFields(afterClean, []);

  const requestedManagers = options.subresource ? new Map<string, Manager>() : decodeManagers(requested);
  const managers =
    requestedManagers.size > 0 && !deepEqual(requested, before?.metadata.managedFields)
      ? requestedManagers
      : decodeManagers(before?.metadata.managedFields);

  const kind = kindOf(after, before);
  const change = compareFor(beforeClean, afterClean, kind);
  const touched = union(change.modified, change.added);
  const self: Manager = {
    manager: options.manager,
    operation: 'Update',
    apiVersion: options.apiVersion,
    time: options.now,
    set: {},
  };
  if (options.subresource) self.subresource = options.subresource;
  const selfId = managerId(self);

  for (const [id, m] of managers) {
    if (id === selfId) continue;
    const set = difference(difference(m.set, touched), change.removed);
    if (isEmpty(set)) managers.delete(id);
    else managers.set(id, { ...m, set });
  }

  const gained = difference(touched, ALWAYS_PRESENT);
  const previous = managers.get(selfId);
  if (!isEmpty(gained) || !isEmpty(change.removed)) {
    const prevSet = previous ? difference(previous.set, change.removed) : {};
    self.set = union(prevSet, gained);
    if (isEmpty(self.set)) managers.delete(selfId);
    else managers.set(selfId, self);
  }
  return withManagedFields(afterClean, encodeManagers(managers));
}

/** The message Kubernetes puts in the 409 Status for apply conflicts. */
export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  const n = conflicts.length;
  if (n === 1) {
    const c = conflicts[0] as ApplyConflict;
    return `Apply failed with 1 conflict: conflict with "${c.manager}": ${c.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const parts = [...byManager].map(([manager, fields]) =>
    fields.length === 1
      ? `conflict with "${manager}": ${fields[0]}`
      : `conflicts with "${manager}":\n${fields.map((f) => `- ${f}`).join('\n')}`,
  );
  return `Apply failed with ${n} conflicts: ${parts.join('\n')}`;
}
