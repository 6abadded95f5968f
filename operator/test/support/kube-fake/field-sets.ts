/**
 * Field sets in Kubernetes' FieldsV1 format (the `fieldsV1` of a managedFields entry), computed the way
 * structured-merge-diff does for the built-in kinds listed in list-keys.ts.
 *
 * Path elements, as they appear as FieldsV1 keys:
 *  - `f:<name>`        a field of a map;
 *  - `k:<json>`        an item of an associative list, the key fields as compact JSON sorted by name;
 *  - `v:<json>`        an item of a set (list of unique scalars);
 *  - `i:<index>`       an item of a list that has no usable key (only produced leniently, for live data).
 * A node is a member of the set when it is a leaf `{}` or carries `".": {}` (the item/field itself);
 * a node with children and no `.` only holds members below it.
 *
 * Everything here is pure: inputs are never mutated.
 */
import { KEY_FIELD_DEFAULTS, type ListType, listKeysAt } from './list-keys.js';
import type { FieldsV1 } from './types.js';

/** A malformed object for field-set purposes (missing or duplicate list keys). */
export class FieldSetError extends Error {
  override readonly name = 'FieldSetError';
  constructor(
    message: string,
    /** Human-readable path, e.g. `.spec.template.spec.containers`. */
    readonly field: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------
// JSON helpers (shared with server-side-apply.ts and patches.ts)

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ak = Object.keys(a).filter((k) => a[k] !== undefined);
    const bk = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ak.length !== bk.length) return false;
    return ak.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Deep copy of JSON data (undefined object members are dropped). */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => clone(item)) as T;
  if (isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = clone(v);
    return out as T;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Path elements

type Path = string[];

function canonicalJson(value: unknown): string {
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

/** The item's key object for an associative list (defaults filled in), or an error message. */
function keyOf(keys: readonly string[], item: unknown): JsonObject | string {
  if (!isPlainObject(item)) return 'associative list item is not an object';
  const key: JsonObject = {};
  for (const k of keys) {
    let v = item[k];
    if (v === undefined || v === null) v = KEY_FIELD_DEFAULTS[k];
    if (v === undefined) return `associative list with keys has an element that omits key field "${k}"`;
    if (isPlainObject(v) || Array.isArray(v)) return `key field "${k}" must be a scalar`;
    key[k] = v;
  }
  return key;
}

/**
 * The FieldsV1 path element of a list item (`k:…` or `v:…`); throws FieldSetError when `strict` and
 * the item has no usable key, else falls back to `i:<index>`.
 */
export function itemElement(
  listType: ListType,
  item: unknown,
  index: number,
  strict: boolean,
  where: Path = [],
): string {
  if (listType === 'set') {
    if (!isPlainObject(item) && !Array.isArray(item)) return `v:${canonicalJson(item)}`;
    if (strict) throw new FieldSetError('set items must be scalars', pathString(where));
    return `i:${index}`;
  }
  if (listType !== 'atomic') {
    const key = keyOf(listType, item);
    if (typeof key !== 'string') return `k:${canonicalJson(key)}`;
    if (strict) throw new FieldSetError(key, pathString(where));
  }
  return `i:${index}`;
}

/** Human-readable form of a FieldsV1 path, as Kubernetes prints it in conflict messages. */
function pathString(path: readonly string[]): string {
  let out = '';
  for (const el of path) {
    const body = el.slice(2);
    if (el.startsWith('f:')) out += `.${body}`;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(body) as JsonObject;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) out += `[=${body}]`;
    else if (el.startsWith('i:')) out += `[${body}]`;
    else out += `.${el}`;
  }
  return out;
}

/** Schema path (field names only) of a FieldsV1 path. */
function schemaPathOf(path: readonly string[]): string[] {
  return path.filter((el) => el.startsWith('f:')).map((el) => el.slice(2));
}

// ---------------------------------------------------------------------------------------------------
// Flat representation: a set of JSON-encoded element arrays (each a member path)

type Flat = Set<string>;

function flatten(fields: FieldsV1, prefix: Path = [], out: Flat = new Set()): Flat {
  for (const [el, child] of Object.entries(fields)) {
    if (el === '.') continue;
    const path = [...prefix, el];
    const keys = Object.keys(child);
    if (keys.length === 0 || Object.hasOwn(child, '.')) out.add(JSON.stringify(path));
    flatten(child, path, out);
  }
  return out;
}

interface TreeNode {
  member: boolean;
  children: Map<string, TreeNode>;
}

function toTree(flat: Flat): TreeNode {
  const root: TreeNode = { member: false, children: new Map() };
  for (const encoded of flat) {
    let node = root;
    for (const el of JSON.parse(encoded) as string[]) {
      let next = node.children.get(el);
      if (!next) {
        next = { member: false, children: new Map() };
        node.children.set(el, next);
      }
      node = next;
    }
    node.member = true;
  }
  return root;
}

function encodeChildren(node: TreeNode): FieldsV1 {
  const out: FieldsV1 = {};
  for (const el of [...node.children.keys()].sort()) {
    const child = node.children.get(el);
    if (!child) continue;
    const inner = encodeChildren(child);
    if (Object.keys(inner).length === 0) {
      if (child.member) out[el] = {};
    } else out[el] = child.member ? { '.': {}, ...inner } : inner;
  }
  return out;
}

function unflatten(flat: Flat): FieldsV1 {
  return encodeChildren(toTree(flat));
}

// ---------------------------------------------------------------------------------------------------
// Set operations

export function union(...sets: FieldsV1[]): FieldsV1 {
  const out: Flat = new Set();
  for (const s of sets) for (const p of flatten(s)) out.add(p);
  return unflatten(out);
}

export function difference(a: FieldsV1, b: FieldsV1): FieldsV1 {
  const fb = flatten(b);
  return unflatten(new Set([...flatten(a)].filter((p) => !fb.has(p))));
}

export function intersection(a: FieldsV1, b: FieldsV1): FieldsV1 {
  const fb = flatten(b);
  return unflatten(new Set([...flatten(a)].filter((p) => fb.has(p))));
}

export function isEmpty(set: FieldsV1): boolean {
  return flatten(set).size === 0;
}

/** Normalised form (sorted, `.` first, non-member empty branches dropped). */
export function normalize(set: FieldsV1): FieldsV1 {
  return unflatten(flatten(set));
}

/** The member paths of a set, human-readable (`.spec.containers[name="api"].image`), sorted. */
export function fieldPaths(set: FieldsV1): string[] {
  return [...flatten(set)].map((p) => pathString(JSON.parse(p) as string[])).sort();
}

/** Members of `set` that have at least one member strictly below them in `below`. */
export function membersWithDescendantsIn(set: FieldsV1, below: FieldsV1): FieldsV1 {
  const fb = [...flatten(below)].map((p) => JSON.parse(p) as string[]);
  const hits: Flat = new Set();
  for (const encoded of flatten(set)) {
    const p = JSON.parse(encoded) as string[];
    if (fb.some((q) => q.length > p.length && p.every((el, i) => q[i] === el))) hits.add(encoded);
  }
  return unflatten(hits);
}

// ---------------------------------------------------------------------------------------------------
// Field set of an object

export interface FieldSetOptions {
  /** Throw FieldSetError on list items without their key fields or with duplicate keys (apply). */
  strict?: boolean;
  /** Kind of the root object (defaults to `object.kind`). */
  kind?: string;
}

/**
 * The fields an object sets, as server-side apply computes them for an applied configuration:
 * every scalar leaf, every atomic list (as a leaf), every associative-list / set item (with `.`);
 * empty maps and empty non-atomic lists contribute nothing.
 */
export function fieldSetOf(object: unknown, options: FieldSetOptions = {}): FieldsV1 {
  const strict = options.strict ?? false;
  const kind =
    options.kind ?? (isPlainObject(object) && typeof object.kind === 'string' ? object.kind : undefined);
  const out: Flat = new Set();
  const visit = (value: unknown, path: Path): void => {
    if (value === undefined) return;
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, `f:${k}`]);
      return;
    }
    if (Array.isArray(value)) {
      const listType = listKeysAt(schemaPathOf(path), kind);
      if (listType === 'atomic') {
        out.add(JSON.stringify(path));
        return;
      }
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const el = itemElement(listType, item, i, strict, path);
        if (seen.has(el)) {
          if (strict) throw new FieldSetError(`duplicate entries for key ${el.slice(2)}`, pathString(path));
          return;
        }
        seen.add(el);
        const itemPath = [...path, el];
        out.add(JSON.stringify(itemPath));
        if (isPlainObject(item)) for (const [k, v] of Object.entries(item)) visit(v, [...itemPath, `f:${k}`]);
      });
      return;
    }
    if (path.length > 0) out.add(JSON.stringify(path));
  };
  visit(object, []);
  return unflatten(out);
}

// ---------------------------------------------------------------------------------------------------
// Comparison (what an update changed), as structured-merge-diff's Compare

export interface Comparison {
  added: FieldsV1;
  removed: FieldsV1;
  modified: FieldsV1;
}

type Shape = 'map' | 'list' | 'scalar' | 'absent';

function shapeOf(value: unknown): Shape {
  if (value === undefined) return 'absent';
  if (isPlainObject(value)) return 'map';
  if (Array.isArray(value)) return 'list';
  return 'scalar';
}

/** Index list items by their path element (first occurrence wins). */
function indexItems(list: unknown[], listType: ListType): Map<string, unknown> {
  const out = new Map<string, unknown>();
  list.forEach((item, i) => {
    const el = itemElement(listType, item, i, false);
    if (!out.has(el)) out.set(el, item);
  });
  return out;
}

/**
 * Fields added, removed and modified between two objects. Leaves (scalars, atomic lists, empty
 * maps/lists) are compared by value; maps and list items that appear or disappear are themselves
 * added/removed (which is where `.` comes from in Update entries).
 */
export function compareObjects(before: unknown, after: unknown, options: { kind?: string } = {}): Comparison {
  const kind =
    options.kind ??
    (isPlainObject(after) && typeof after.kind === 'string'
      ? after.kind
      : isPlainObject(before) && typeof before.kind === 'string'
        ? before.kind
        : undefined);
  const added: Flat = new Set();
  const removed: Flat = new Set();
  const modified: Flat = new Set();

  const leaf = (lhs: unknown, rhs: unknown, key: string): void => {
    if (lhs === undefined) added.add(key);
    else if (rhs === undefined) removed.add(key);
    else if (!deepEqual(lhs, rhs)) modified.add(key);
  };

  const visit = (lhs: unknown, rhs: unknown, path: Path): void => {
    if (lhs === undefined && rhs === undefined) return;
    const key = JSON.stringify(path);
    const ls = shapeOf(lhs);
    const rs = shapeOf(rhs);
    const shape = ls === 'absent' ? rs : ls;
    if ((ls !== 'absent' && rs !== 'absent' && ls !== rs) || shape === 'scalar') {
      if (path.length > 0) leaf(lhs, rhs, key);
      return;
    }
    if (shape === 'map') {
      const l = (lhs ?? {}) as JsonObject;
      const r = (rhs ?? {}) as JsonObject;
      const lk = Object.keys(l).filter((k) => l[k] !== undefined);
      const rk = Object.keys(r).filter((k) => r[k] !== undefined);
      if (lk.length === 0 && rk.length === 0) {
        if (path.length > 0) leaf(lhs, rhs, key);
        return;
      }
      for (const k of new Set([...lk, ...rk])) visit(l[k], r[k], [...path, `f:${k}`]);
    } else {
      const l = (lhs ?? []) as unknown[];
      const r = (rhs ?? []) as unknown[];
      const listType = listKeysAt(schemaPathOf(path), kind);
      if (listType === 'atomic' || (l.length === 0 && r.length === 0)) {
        leaf(lhs, rhs, key);
        return;
      }
      const li = indexItems(l, listType);
      const ri = indexItems(r, listType);
      for (const el of new Set([...li.keys(), ...ri.keys()])) {
        const a = li.get(el);
        const b = ri.get(el);
        const itemPath = [...path, el];
        if (isPlainObject(a) || isPlainObject(b)) visit(a, b, itemPath);
        else leaf(a, b, JSON.stringify(itemPath));
      }
    }
    if (path.length > 0) {
      if (lhs === undefined) added.add(key);
      else if (rhs === undefined) removed.add(key);
    }
  };
  visit(before, after, []);
  return { added: unflatten(added), removed: unflatten(removed), modified: unflatten(modified) };
}

// ---------------------------------------------------------------------------------------------------
// Removal

const EMPTIED = Symbol('emptied');

/**
 * A copy of `object` without the member fields of `fieldsToRemove` (a member removes its whole
 * subtree; keyed list items are found by key, set items by value). Maps and lists left empty by the
 * removal are dropped too, as structured-merge-diff does; the root object is never dropped.
 */
export function removeFields<T>(object: T, fieldsToRemove: FieldsV1, options: { kind?: string } = {}): T {
  const kind =
    options.kind ?? (isPlainObject(object) && typeof object.kind === 'string' ? object.kind : undefined);
  const tree = toTree(flatten(fieldsToRemove));

  const walk = (value: unknown, node: TreeNode, path: Path): unknown => {
    if (node.children.size === 0) return value;
    if (isPlainObject(value)) {
      const out: JsonObject = {};
      let removedAny = false;
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const child = node.children.get(`f:${k}`);
        if (!child) {
          out[k] = v;
          continue;
        }
        if (child.member) {
          removedAny = true;
          continue;
        }
        const next = walk(v, child, [...path, `f:${k}`]);
        if (next === EMPTIED) removedAny = true;
        else out[k] = next;
      }
      if (removedAny && Object.keys(out).length === 0 && Object.keys(value).length > 0) return EMPTIED;
      return out;
    }
    if (Array.isArray(value)) {
      const listType = listKeysAt(schemaPathOf(path), kind);
      const out: unknown[] = [];
      let removedAny = false;
      value.forEach((item, i) => {
        const child = node.children.get(itemElement(listType, item, i, false)) ?? node.children.get(`i:${i}`);
        if (!child) {
          out.push(item);
          return;
        }
        if (child.member) {
          removedAny = true;
          return;
        }
        const next = walk(item, child, path);
        if (next === EMPTIED) removedAny = true;
        else out.push(next);
      });
      if (removedAny && out.length === 0) return EMPTIED;
      return out;
    }
    return value;
  };

  const result = walk(clone(object), tree, []);
  return (result === EMPTIED ? {} : result) as T;
}
