/**
 * The three PATCH content types the kube-apiserver accepts besides apply:
 *  - application/json-patch+json       RFC 6902 JSON Patch       → jsonPatch
 *  - application/merge-patch+json      RFC 7386 JSON Merge Patch → mergePatch
 *  - application/strategic-merge-patch+json                      → strategicMergePatch
 * Pure functions: the input document is never mutated, a new one is returned.
 */
import {
  clone,
  deepEqual,
  FieldSetError,
  isPlainObject,
  itemElement,
  type JsonObject,
} from './field-sets.js';
import { listKeysAt } from './list-keys.js';

export type PatchErrorCode = 'InvalidPatch' | 'PathNotFound' | 'TestFailed';

/** A patch that cannot be applied; `code` lets the server choose the Status (400/422). */
export class PatchError extends Error {
  override readonly name = 'PatchError';
  constructor(
    message: string,
    readonly code: PatchErrorCode,
    /** Index of the failing JSON-patch operation, when there is one. */
    readonly operation?: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------
// RFC 6902 JSON Patch

export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown };

function parsePointer(pointer: unknown, index: number): string[] {
  if (typeof pointer !== 'string')
    throw new PatchError(`operation ${index}: path must be a string`, 'InvalidPatch', index);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new PatchError(`operation ${index}: invalid JSON pointer "${pointer}"`, 'InvalidPatch', index);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number | undefined {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  return i < length || (allowEnd && i === length) ? i : undefined;
}

/** Walks `tokens` from `doc`; throws PathNotFound when a step is missing. */
function walk(doc: unknown, tokens: readonly string[], pointer: string, index: number): unknown {
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(t, cur.length, false);
      if (i === undefined) throw notFound(pointer, index);
      cur = cur[i];
    } else if (isPlainObject(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw notFound(pointer, index);
  }
  return cur;
}

/** The container of the last token. */
function resolveParent(doc: unknown, tokens: string[], pointer: string, index: number): unknown {
  return walk(doc, tokens.slice(0, -1), pointer, index);
}

function notFound(pointer: string, index: number): PatchError {
  return new PatchError(`operation ${index}: path "${pointer}" does not exist`, 'PathNotFound', index);
}

function getAt(doc: unknown, pointer: string, index: number): unknown {
  return walk(doc, parsePointer(pointer, index), pointer, index);
}

/** Returns the new document (only differs from `doc` when the root is replaced). */
function addAt(doc: unknown, pointer: string, value: unknown, index: number): unknown {
  const tokens = parsePointer(pointer, index);
  const last = tokens[tokens.length - 1];
  if (last === undefined) return value;
  const parent = resolveParent(doc, tokens, pointer, index);
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, true);
    if (i === undefined) throw notFound(pointer, index);
    parent.splice(i, 0, value);
  } else if (isPlainObject(parent)) parent[last] = value;
  else throw notFound(pointer, index);
  return doc;
}

function removeAt(doc: unknown, pointer: string, index: number): unknown {
  const tokens = parsePointer(pointer, index);
  const last = tokens[tokens.length - 1];
  if (last === undefined)
    throw new PatchError(`operation ${index}: cannot remove the root`, 'InvalidPatch', index);
  const parent = resolveParent(doc, tokens, pointer, index);
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length, false);
    if (i === undefined) throw notFound(pointer, index);
    return parent.splice(i, 1)[0];
  }
  if (isPlainObject(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return value;
  }
  throw notFound(pointer, index);
}

/** Apply RFC 6902 operations to a copy of `document`; throws PatchError on the first failure. */
export function jsonPatch(document: unknown, operations: readonly JsonPatchOperation[]): unknown {
  if (!Array.isArray(operations))
    throw new PatchError('a JSON patch must be an array of operations', 'InvalidPatch');
  let doc = clone(document);
  operations.forEach((operation, i) => {
    if (!isPlainObject(operation)) throw new PatchError(`operation ${i} is not an object`, 'InvalidPatch', i);
    const op = operation as JsonObject;
    const path = op.path as string;
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !Object.hasOwn(op, 'value')) {
      throw new PatchError(`operation ${i} (${String(op.op)}) is missing "value"`, 'InvalidPatch', i);
    }
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') {
      throw new PatchError(`operation ${i} (${op.op}) is missing "from"`, 'InvalidPatch', i);
    }
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, clone(op.value), i);
        break;
      case 'remove':
        removeAt(doc, path, i);
        break;
      case 'replace': {
        const tokens = parsePointer(path, i);
        if (tokens.length === 0) {
          doc = clone(op.value);
          break;
        }
        getAt(doc, path, i); // must exist
        const parent = resolveParent(doc, tokens, path, i);
        const last = tokens[tokens.length - 1] as string;
        if (Array.isArray(parent)) parent[arrayIndex(last, parent.length, false) as number] = clone(op.value);
        else (parent as JsonObject)[last] = clone(op.value);
        break;
      }
      case 'move': {
        const from = op.from as string;
        if (path !== from && path.startsWith(`${from}/`)) {
          throw new PatchError(
            `operation ${i}: cannot move "${from}" into its own child "${path}"`,
            'InvalidPatch',
            i,
          );
        }
        if (path === from) {
          getAt(doc, from, i);
          break;
        }
        const value = parsePointer(from, i).length === 0 ? doc : removeAt(doc, from, i);
        doc = addAt(doc, path, value, i);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, clone(getAt(doc, op.from as string, i)), i);
        break;
      case 'test': {
        const actual = getAt(doc, path, i);
        if (!deepEqual(actual, op.value)) {
          throw new PatchError(
            `operation ${i}: test failed: value at "${path}" is ${JSON.stringify(actual)}, not ${JSON.stringify(op.value)}`,
            'TestFailed',
            i,
          );
        }
        break;
      }
      default:
        throw new PatchError(`operation ${i}: unknown op ${JSON.stringify(op.op)}`, 'InvalidPatch', i);
    }
  });
  return doc;
}

// ---------------------------------------------------------------------------------------------------
// RFC 7386 JSON Merge Patch

/** RFC 7386: objects merge recursively, `null` deletes, anything else (arrays included) replaces. */
export function mergePatch(document: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const out: JsonObject = isPlainObject(document) ? clone(document) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Strategic merge patch

const DELETE = Symbol('delete');

/**
 * Kubernetes strategic merge patch, with list semantics from list-keys.ts: maps merge, `null`
 * deletes, associative lists merge item by item on their keys (new items placed as kube-apiserver places them), sets (finalizers)
 * are unioned, atomic lists are replaced. Directives: `$patch: delete` / `replace` on a map or list
 * item, a `{"$patch": "replace"}` list item (replace the whole list), `$deleteFromPrimitiveList/<f>`,
 * `$retainKeys` (keys not listed are cleared); `$setElementOrder/<f>` is accepted and ignored.
 */
export function strategicMergePatch(
  document: unknown,
  patch: unknown,
  options: { kind?: string } = {},
): unknown {
  if (!isPlainObject(patch))
    throw new PatchError('a strategic merge patch must be a JSON object', 'InvalidPatch');
  const kind =
    options.kind ??
    (isPlainObject(document) && typeof document.kind === 'string'
      ? document.kind
      : typeof patch.kind === 'string'
        ? patch.kind
        : undefined);

  const mergeMap = (original: unknown, p: JsonObject, path: string[]): JsonObject | typeof DELETE => {
    const directive = p.$patch;
    if (directive === 'delete') return DELETE;
    if (directive !== undefined && directive !== 'replace' && directive !== 'merge') {
      throw new PatchError(`unknown patch directive ${JSON.stringify(directive)}`, 'InvalidPatch');
    }
    const out: JsonObject = directive !== 'replace' && isPlainObject(original) ? clone(original) : {};
    const deletions: Array<[string, unknown]> = [];
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined || k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/'))
        continue;
      if (k.startsWith('$deleteFromPrimitiveList/')) {
        deletions.push([k.slice('$deleteFromPrimitiveList/'.length), v]);
        continue;
      }
      if (v === null) {
        delete out[k];
        continue;
      }
      const childPath = [...path, k];
      if (isPlainObject(v)) {
        const merged = mergeMap(out[k], v, childPath);
        if (merged === DELETE) delete out[k];
        else out[k] = merged;
      } else if (Array.isArray(v)) out[k] = mergeList(out[k], v, childPath);
      else out[k] = v;
    }
    for (const [field, values] of deletions) {
      const current = out[field];
      if (!Array.isArray(values))
        throw new PatchError(`$deleteFromPrimitiveList/${field} must be a list`, 'InvalidPatch');
      if (Array.isArray(current)) out[field] = current.filter((x) => !values.some((y) => deepEqual(x, y)));
    }
    if (Array.isArray(p.$retainKeys)) {
      const retain = new Set(p.$retainKeys.map(String));
      for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
    }
    return out;
  };

  /** A patch value placed where nothing is merged into: directives and nulls stripped. */
  const fresh = (v: unknown, path: string[]): unknown => {
    if (isPlainObject(v)) {
      const m = mergeMap(undefined, v, path);
      return m === DELETE ? undefined : m;
    }
    if (Array.isArray(v)) return mergeList(undefined, v, path);
    return v;
  };

  const mergeList = (original: unknown, p: unknown[], path: string[]): unknown[] => {
    const listType = listKeysAt(path, kind);
    const isReplaceMarker = (item: unknown): boolean =>
      isPlainObject(item) && item.$patch === 'replace' && Object.keys(item).length === 1;
    if (listType === 'atomic' || p.some(isReplaceMarker)) {
      return p
        .filter((item) => !isReplaceMarker(item))
        .map((item) => (isPlainObject(item) ? fresh(item, path) : clone(item)))
        .filter((item) => item !== undefined);
    }
    const out = Array.isArray(original) ? clone(original) : [];
    if (listType === 'set') {
      for (const item of p) if (!out.some((x) => deepEqual(x, item))) out.push(clone(item));
      return out;
    }
    const keyOf = (item: JsonObject): string => {
      try {
        return itemElement(
          listType,
          item,
          0,
          true,
          path.map((f) => `f:${f}`),
        );
      } catch (e) {
        if (e instanceof FieldSetError) {
          throw new PatchError(
            `${path.join('.')}: ${e.message} (merge key ${listType.join(',')})`,
            'InvalidPatch',
          );
        }
        throw e;
      }
    };
    const serverKeys = out.map((x, i) => itemElement(listType, x, i, false));
    const patched: { key: string; item: unknown }[] = [];
    const deleted = new Set<string>();
    for (const item of p) {
      if (!isPlainObject(item))
        throw new PatchError(`${path.join('.')}: list items must be objects`, 'InvalidPatch');
      const key = keyOf(item);
      if (item.$patch === 'delete') {
        deleted.add(key);
        continue;
      }
      const idx = serverKeys.indexOf(key);
      const merged = mergeMap(idx >= 0 ? out[idx] : undefined, item, path);
      if (merged !== DELETE) patched.push({ key, item: merged });
    }
    const serverOnly = out
      .map((item, i) => ({ key: serverKeys[i] as string, item }))
      .filter(({ key }) => !deleted.has(key) && !patched.some((x) => x.key === key));
    // apimachinery's mergeSortedSlice: the patch's items and the server-only items are merged,
    // a server-only item going first only when both are on the server and it came first there.
    // An item new to the list therefore lands before the server-only items that follow it.
    const merged: unknown[] = [];
    let i = 0;
    let j = 0;
    while (i < serverOnly.length || j < patched.length) {
      const left = serverOnly[i];
      const right = patched[j];
      const rightAt = right ? serverKeys.indexOf(right.key) : -1;
      const takeLeft =
        left !== undefined &&
        (right === undefined || (rightAt >= 0 && serverKeys.indexOf(left.key) < rightAt));
      if (takeLeft) {
        merged.push(left.item);
        i++;
      } else {
        merged.push(right?.item);
        j++;
      }
    }
    return merged;
  };

  const result = mergeMap(document, patch, []);
  return result === DELETE ? {} : result;
}
