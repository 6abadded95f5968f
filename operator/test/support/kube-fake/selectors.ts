/**
 * Label selectors, field selectors and list pagination as kube-apiserver implements them. Pure: no I/O.
 */
import { badRequest, failure, gone, StatusError } from './status-errors.js';
import type { KubeObject } from './types.js';

/** A selector that does not parse or is not supported; the server answers 400 BadRequest with `status`. */
export class SelectorError extends StatusError {
  constructor(message: string) {
    super(failure(400, 'BadRequest', message));
    this.name = 'SelectorError';
  }
}

export type Labels = Record<string, string> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;

type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';
interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

// "Labels and Selectors" → Syntax and character set: a key is an optional DNS-subdomain prefix (≤253) plus "/"
// and a name (≤63, alphanumeric at both ends, `-_.` inside); a value is empty or ≤63 of the same characters.
const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validateKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (
    prefix !== undefined &&
    (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN_RE.test(prefix))
  ) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": prefix part must be a DNS subdomain`,
    );
  }
  if (name.length === 0 || name.length > 63 || !NAME_RE.test(name)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

function validateValue(value: string): void {
  if (value !== '' && (value.length > 63 || !NAME_RE.test(value))) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
  }
}

// ---- query-string label selector ("Labels and Selectors" → Equality-based / Set-based requirement) ----

type Token =
  | { t: 'id'; v: string }
  | { t: 'op'; v: '!' | '=' | '==' | '!=' | '>' | '<' }
  | { t: ',' }
  | { t: '(' }
  | { t: ')' };

const SPECIAL = new Set(['!', '=', ',', '(', ')', '<', '>']);

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === ',' || c === '(' || c === ')') {
      tokens.push({ t: c });
      i++;
    } else if (c === '=' || c === '!') {
      const two = text.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ t: 'op', v: two });
        i += 2;
      } else {
        tokens.push({ t: 'op', v: c });
        i++;
      }
    } else if (c === '<' || c === '>') {
      tokens.push({ t: 'op', v: c });
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIAL.has(text.charAt(j)) && !/\s/.test(text.charAt(j))) j++;
      tokens.push({ t: 'id', v: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function describe(tok: Token | undefined): string {
  if (!tok) return 'end of string';
  return tok.t === 'id' || tok.t === 'op' ? `'${tok.v}'` : `'${tok.t}'`;
}

function parseRequirements(text: string): Requirement[] {
  const tokens = lex(text);
  const reqs: Requirement[] = [];
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token | undefined => tokens[pos++];
  const fail = (found: Token | undefined, expected: string): never => {
    throw new SelectorError(`unable to parse requirement: found ${describe(found)}, expected: ${expected}`);
  };
  if (tokens.length === 0) return reqs;
  for (;;) {
    let tok = next();
    let req: Requirement;
    if (tok?.t === 'op' && tok.v === '!') {
      // "!key": the label must not exist.
      tok = next();
      if (tok?.t !== 'id') fail(tok, 'identifier');
      const key = (tok as { v: string }).v;
      validateKey(key);
      req = { key, op: '!', values: [] };
    } else {
      if (tok?.t !== 'id') fail(tok, '!, identifier');
      const key = (tok as { v: string }).v;
      validateKey(key);
      const opTok = peek();
      if (opTok === undefined || opTok.t === ',') {
        // "key": the label must exist.
        req = { key, op: 'exists', values: [] };
      } else if (opTok.t === 'id' && (opTok.v === 'in' || opTok.v === 'notin')) {
        next();
        if (next()?.t !== '(') fail(tokens[pos - 1], "'('");
        const values: string[] = [];
        let expectValue = true;
        for (;;) {
          const v = next();
          if (v?.t === ')') {
            if (expectValue) values.push(''); // "key in ()" / "(a,)" mean the empty value, as upstream
            break;
          }
          if (v?.t === ',') {
            if (expectValue) values.push('');
            expectValue = true;
            continue;
          }
          if (v?.t === 'id' && expectValue) {
            validateValue(v.v);
            values.push(v.v);
            expectValue = false;
            continue;
          }
          fail(v, expectValue ? "identifier, ',' or ')'" : "',' or ')'");
        }
        req = { key, op: opTok.v, values };
      } else if (opTok.t === 'op' && opTok.v !== '!') {
        next();
        // "Labels and Selectors" → Equality-based: "=" and "==" are synonyms; an absent value means "".
        const v = peek();
        let value = '';
        if (v?.t === 'id') {
          next();
          value = v.v;
        } else if (v !== undefined && v.t !== ',') {
          fail(v, 'identifier');
        }
        if (opTok.v === '>' || opTok.v === '<') {
          if (!/^-?\d+$/.test(value)) {
            throw new SelectorError(
              `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`,
            );
          }
          req = { key, op: opTok.v === '>' ? 'gt' : 'lt', values: [value] };
        } else {
          validateValue(value);
          req = { key, op: opTok.v, values: [value] };
        }
      } else {
        return fail(opTok, "'=', '==', '!=', 'in', 'notin', '>', '<', ',' or end of string");
      }
    }
    reqs.push(req);
    const sep = next();
    if (sep === undefined) break;
    if (sep.t !== ',') fail(sep, "',' or end of string");
    if (peek() === undefined) fail(undefined, "identifier after ','"); // trailing comma
  }
  return reqs;
}

function matchesRequirement(req: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case '==':
    case 'in':
      return has && req.values.includes(value as string);
    // "Labels and Selectors": `!=` and `notin` also select resources that do not have the label at all.
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value as string);
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const a = BigInt(value as string);
      const b = BigInt(req.values[0] as string);
      return req.op === 'gt' ? a > b : a < b;
    }
  }
}

/**
 * Parses the `labelSelector` query parameter ("Labels and Selectors" → API → LIST and WATCH filtering):
 * `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`; a comma is a logical AND;
 * the empty string selects everything. Throws SelectorError (400 BadRequest) on bad syntax.
 */
export function parseLabelSelector(text: string): LabelMatcher {
  const reqs = parseRequirements(text);
  return (labels) => reqs.every((r) => matchesRequirement(r, labels));
}

// ---- structured metav1.LabelSelector ----

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Structured selector of Deployments, NetworkPolicies, ... ("Labels and Selectors" → Resources that support
 * set-based requirements): matchLabels and matchExpressions are ANDed; In/NotIn need non-empty values,
 * Exists/DoesNotExist need none. "An empty label selector matches all objects, a null one matches none."
 * Throws SelectorError on an invalid selector.
 */
export function matchesLabelSelector(selector: LabelSelector | null | undefined, labels: Labels): boolean {
  if (selector === null || selector === undefined) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels?.[k] !== v || !Object.hasOwn(labels, k)) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = expr.values ?? [];
    const has = labels !== undefined && Object.hasOwn(labels, expr.key);
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          throw new SelectorError(
            `values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty`,
          );
        }
        if (
          expr.operator === 'In'
            ? !(has && values.includes(labels[expr.key] as string))
            : has && values.includes(labels[expr.key] as string)
        ) {
          return false;
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          throw new SelectorError(
            `values: Invalid value: ${JSON.stringify(values)}: values set must be empty for exists and does not exist`,
          );
        }
        if (expr.operator === 'Exists' ? !has : has) return false;
        break;
      default:
        throw new SelectorError(`"${expr.operator}" is not a valid label selector operator`);
    }
  }
  return true;
}

// ---- field selectors ("Field Selectors") ----

export type FieldMatcher = (object: KubeObject) => boolean;
/** Extra selectable fields (e.g. a Pod's `spec.nodeName`, a CRD's `selectableFields`): path → value getter. */
export type FieldGetters = Record<string, (object: KubeObject) => string | undefined>;

/** Splits on an unescaped separator; `\` escapes `,`, `=`, `!` and `\` as in fields.ParseSelector. */
function splitTerms(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text.charAt(i + 1);
      i++;
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, (_m, ch: string) => {
    if (ch === ',' || ch === '=' || ch === '!' || ch === '\\') return ch;
    throw new SelectorError(`invalid field selector value: invalid escape sequence \\${ch}`);
  });
}

/**
 * Parses the `fieldSelector` query parameter ("Field Selectors"): terms `field=value`, `field==value`,
 * `field!=value` joined by commas (AND). "Supported fields vary by Kubernetes resource type. All resource
 * types support the metadata.name and metadata.namespace fields. Using unsupported field selectors produces
 * an error" — SelectorError `field label not supported: <field>` (400 BadRequest).
 */
export function parseFieldSelector(text: string, extraFields: FieldGetters = {}): FieldMatcher {
  const getters: FieldGetters = {
    'metadata.name': (o) => o.metadata.name ?? '',
    'metadata.namespace': (o) => o.metadata.namespace ?? '',
    ...extraFields,
  };
  const terms: Array<{ field: string; op: '=' | '!='; value: string }> = [];
  if (text.trim() !== '') {
    for (const raw of splitTerms(text)) {
      const m = /^(.*?)(==|!=|=)(.*)$/s.exec(raw);
      if (!m || (m[1] ?? '').includes('\\') || (m[1] ?? '').trim() === '') {
        throw new SelectorError(`invalid selector: '${text}'; can't understand '${raw}'`);
      }
      const field = (m[1] as string).trim();
      if (!Object.hasOwn(getters, field)) throw new SelectorError(`field label not supported: ${field}`);
      terms.push({
        field,
        op: m[2] === '!=' ? '!=' : '=',
        value: unescapeFieldValue((m[3] as string).trim()),
      });
    }
  }
  return (object) =>
    terms.every((t) => {
      const actual = (getters[t.field] as (o: KubeObject) => string | undefined)(object) ?? '';
      return t.op === '=' ? actual === t.value : actual !== t.value;
    });
}

// ---- pagination ("API Concepts: Retrieving large results sets in chunks") ----

export interface PaginateOptions<T> {
  /** resourceVersion of the list being served (the store's current RV on the first page). */
  resourceVersion: string;
  /** Oldest resourceVersion still retained (compaction horizon); a token older than this gets 410 Expired. */
  oldestResourceVersion?: string;
  /** Sort/continue key; defaults to `<namespace>/<name>` (etcd keys sort the same way). */
  keyOf?: (item: T) => string;
  /**
   * Whether to report remainingItemCount. kube-apiserver only sets it when the list is not filtered by a
   * label/field selector, so pass `false` when a selector was applied.
   */
  countRemaining?: boolean;
}

export interface Page<T> {
  items: T[];
  /** Opaque token for the next chunk; absent on the last page. */
  continue?: string;
  /** How many items follow this page (only when more remain and countRemaining is on). */
  remainingItemCount?: number;
  /** The list's resourceVersion: every page of one list reports the RV of the first page. */
  resourceVersion: string;
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

/** "The continue token is opaque": like upstream it is base64url(JSON {v, rv, start}), start = last key + "\0". */
export function encodeContinue(lastKey: string, resourceVersion: string): string {
  const token: ContinueToken = {
    v: 'meta.k8s.io/v1',
    rv: Number(resourceVersion),
    start: `${lastKey}\u0000`,
  };
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

/**
 * Decodes a continue token; a malformed one is a 400 BadRequest ("invalid continue token"), as
 * kube-apiserver answers; only a well-formed token older than the compaction horizon is 410.
 */
export function decodeContinue(token: string): { start: string; resourceVersion: string } {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw new Error('not base64');
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('invalid continue token');
  }
  const t = parsed as Partial<ContinueToken> | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    t.v !== 'meta.k8s.io/v1' ||
    typeof t.rv !== 'number' ||
    !Number.isSafeInteger(t.rv) ||
    t.rv < 0 ||
    typeof t.start !== 'string' ||
    t.start === ''
  ) {
    throw badRequest('invalid continue token');
  }
  return { start: t.start, resourceVersion: String(t.rv) };
}

function defaultKey(item: unknown): string {
  const meta = (item as Partial<KubeObject>).metadata;
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

/**
 * Returns one chunk of `items` ("API Concepts: Retrieving large results sets in chunks"): at most `limit`
 * items (no limit when absent or ≤ 0) after the key in `continueToken`, in key order; `continue` is set only
 * when more items remain, with `remainingItemCount`. A malformed token is a 400; one whose resourceVersion is older
 * than `oldestResourceVersion` (compacted), throws a StatusError 410 Expired, as the docs describe:
 * "If the continue token has expired … the server will respond with a 410 Gone error".
 */
export function paginate<T>(
  items: readonly T[],
  limit: number | undefined,
  continueToken: string | undefined,
  options: PaginateOptions<T>,
): Page<T> {
  const keyOf = options.keyOf ?? defaultKey;
  const sorted = items
    .map((item) => ({ item, key: keyOf(item) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let resourceVersion = options.resourceVersion;
  let rest = sorted;
  if (continueToken !== undefined && continueToken !== '') {
    const decoded = decodeContinue(continueToken);
    if (
      options.oldestResourceVersion !== undefined &&
      BigInt(decoded.resourceVersion) < BigInt(options.oldestResourceVersion)
    ) {
      throw gone(CONTINUE_EXPIRED_MESSAGE);
    }
    resourceVersion = decoded.resourceVersion;
    rest = sorted.filter((e) => e.key >= decoded.start);
  }
  if (limit === undefined || limit <= 0 || rest.length <= limit) {
    return { items: rest.map((e) => e.item), resourceVersion };
  }
  const page = rest.slice(0, limit);
  const last = page[page.length - 1] as { key: string };
  const result: Page<T> = {
    items: page.map((e) => e.item),
    continue: encodeContinue(last.key, resourceVersion),
    resourceVersion,
  };
  if (options.countRemaining !== false) result.remainingItemCount = rest.length - limit;
  return result;
}
