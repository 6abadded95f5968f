import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SimulatedControllerOptions, startSimulatedControllers } from './controllers.js';
import { EVENT_COLUMNS, eventRow } from './event-table.js';
import { Faults, type Verb } from './faults.js';
import { KubeApi, type PropagationPolicy, type Subresource, type WriteOptions } from './kube-api.js';
import { ObjectStore } from './object-store.js';
import { openApiV3Document, openApiV3Index } from './openapi.js';
import {
  groupVersion,
  type PrinterColumn,
  ResourceRegistry,
  type ResourceType,
} from './resource-registry.js';
import { parseRoute, type Route } from './routes.js';
import { paginate, parseFieldSelector, parseLabelSelector } from './selectors.js';
import {
  badRequest,
  gone,
  internalError,
  isStatusError,
  methodNotAllowed,
  notFound,
} from './status-errors.js';
import type { KubeObject, Status } from './types.js';

export interface FakeApiServerOptions {
  /** Events kept for watches to resume from; older resourceVersions get 410. */
  historySize?: number;
  /** How often an open watch that asked for bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /**
   * The cluster's own controllers, simulated (Deployment, Job, HPA status). Off unless given: a
   * test that proves an operator waits for a rollout decides when and how it completes.
   */
  controllers?: SimulatedControllerOptions;
}

export interface FakeApiServer {
  url: string;
  api: KubeApi;
  /** Fault injection and request counting. */
  faults: Faults;
  /** TCP connections accepted and HTTP requests received since the start: how well clients reuse connections. */
  traffic(): { connections: number; requests: number };
  close(): Promise<void>;
}

const VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0-kube-fake', platform: 'linux/amd64' };

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const text = await readText(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

/**
 * ?labelSelector= and ?fieldSelector= as one predicate ("Labels and Selectors", "Field Selectors"),
 * with the fields `resource` makes selectable.
 */
function selectorOf(query: URLSearchParams, resource: ResourceType) {
  const labels = query.get('labelSelector')
    ? parseLabelSelector(query.get('labelSelector') as string)
    : undefined;
  const fields = query.get('fieldSelector')
    ? parseFieldSelector(query.get('fieldSelector') as string, resource.selectableFields)
    : undefined;
  return {
    filtered: labels !== undefined || fields !== undefined,
    matches: (object: KubeObject) =>
      (labels === undefined || labels(object.metadata.labels)) && (fields === undefined || fields(object)),
  };
}

function send(response: ServerResponse, code: number, body: unknown): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  // As kube-apiserver: a Status carrying retryAfterSeconds is answered with a Retry-After header too.
  const retryAfter = (body as Status | undefined)?.details?.retryAfterSeconds;
  if ((body as Status | undefined)?.kind === 'Status' && retryAfter !== undefined)
    headers['Retry-After'] = String(retryAfter);
  response.writeHead(code, headers);
  response.end(JSON.stringify(body));
}

/** k8s.io/apiserver RequestInfo's verb for a request. */
function verbOf(method: string, route: Route, query: URLSearchParams): Verb {
  if (route.kind !== 'resource') return method.toLowerCase() as Verb;
  const collection = route.name === undefined;
  switch (method) {
    case 'GET':
      if (['1', 'true'].includes(query.get('watch') ?? '')) return 'watch';
      return collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase() as Verb;
  }
}

/** Whether the client asked for a meta.k8s.io/v1 Table ("API Concepts: Receiving resources as Tables"). */
const wantsTable = (request: IncomingMessage) =>
  (request.headers.accept ?? '')
    .split(',')
    .some(
      (type) =>
        /;\s*as=Table/.test(type) && /;\s*g=meta\.k8s\.io/.test(type) && /;\s*v=v1(;|$|\s)/.test(type),
    );

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, as kubectl's AGE column prints it. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

const TABLE_COLUMNS = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace.',
    priority: 0,
  },
  {
    name: 'Age',
    type: 'string',
    format: '',
    description:
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
    priority: 0,
  },
];

const age = (timestamp: unknown) => {
  const created = Date.parse(String(timestamp ?? ''));
  return Number.isNaN(created) ? '<unknown>' : humanDuration(Date.now() - created);
};

/**
 * The value at a printer column's jsonPath: the simple `.a.b.c` paths CRDs use (kube-apiserver
 * evaluates full JSONPath; anything else shows as empty, never as an error). Dates show as an age.
 */
function printerCell(object: KubeObject, column: PrinterColumn): unknown {
  let value: unknown = object;
  for (const field of column.jsonPath.replace(/^\./, '').split('.')) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  }
  if (value === undefined || value === null) return null;
  return column.type === 'date' ? age(value) : value;
}

/**
 * A minimal meta.k8s.io/v1 Table, each row embedding the object as ?includeObject= asks: Metadata
 * (the default), Object or None. Columns: NAME, then a CRD's additionalPrinterColumns when it has
 * some (as the CRD table convertor), else AGE (the default table convertor).
 */
function tableOf(
  objects: KubeObject[],
  resourceVersion: string | undefined,
  includeObject: string | null,
  resource: ResourceType,
) {
  const [nameColumn, ageColumn] = TABLE_COLUMNS;
  const printerColumns = resource.printerColumns;
  const columns = printerColumns?.length ? printerColumns : undefined;
  // Core Events have a printer of their own; events.k8s.io/v1 uses the default.
  const events = resource.group === '' && resource.kind === 'Event';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: events
      ? EVENT_COLUMNS
      : columns
        ? [
            nameColumn,
            ...columns.map((column) => ({
              name: column.name,
              type: column.type === 'date' ? 'string' : column.type,
              format: '',
              description: column.description ?? '',
              priority: column.priority ?? 0,
            })),
          ]
        : [nameColumn, ageColumn],
    rows: objects.map((object) => {
      const row: { cells: unknown[]; object?: unknown } = {
        cells: events
          ? eventRow(object, age)
          : [
              object.metadata.name,
              ...(columns
                ? columns.map((column) => printerCell(object, column))
                : [age(object.metadata.creationTimestamp)]),
            ],
      };
      if (includeObject === 'Object') row.object = object;
      else if (includeObject !== 'None')
        row.object = {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: object.metadata,
        };
      return row;
    }),
  };
}

interface WatchStream {
  drop(): void;
  stall(): void;
  resume(): void;
  expire(): void;
}

/**
 * An HTTP-level fake of kube-apiserver on 127.0.0.1 and a random port: real URLs, real status
 * codes and metav1.Status bodies, so @kubernetes/client-node and kubectl talk to it unchanged.
 */
export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const registry = new ResourceRegistry();
  const store = new ObjectStore(options.historySize);
  const api = new KubeApi(registry, store);
  const watches = new Map<ServerResponse, WatchStream>();
  const faults = new Faults({
    drop: () => {
      for (const stream of [...watches.values()]) stream.drop();
    },
    stall: () => {
      for (const stream of watches.values()) stream.stall();
    },
    resume: () => {
      for (const stream of watches.values()) stream.resume();
    },
    expire: () => {
      for (const stream of [...watches.values()]) stream.expire();
    },
    compact: () => store.compact(),
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://kube-fake');
    const route = parseRoute(url.pathname);
    const method = request.method ?? 'GET';
    const injected = await faults.intercept(
      verbOf(method, route, url.searchParams),
      url.pathname,
      route.kind === 'resource'
        ? { group: route.group, resource: route.plural, name: route.name }
        : undefined,
    );
    if (injected) throw injected;
    if (url.pathname === '/openapi/v3' && method === 'GET')
      return send(response, 200, openApiV3Index(registry));
    if (url.pathname.startsWith('/openapi/v3/') && method === 'GET') {
      const document = openApiV3Document(registry, url.pathname.slice('/openapi/v3/'.length));
      if (!document) throw notFound('', 'paths', url.pathname);
      return send(response, 200, document);
    }
    const table = wantsTable(request);
    const includeObject = url.searchParams.get('includeObject');
    switch (route.kind) {
      case 'version':
        return send(response, 200, VERSION);
      case 'core-versions':
        return send(response, 200, registry.coreVersions());
      case 'groups':
        return send(response, 200, registry.groups());
      case 'group': {
        const group = registry.group(route.group);
        if (!group) throw notFound('', 'groups', route.group);
        return send(response, 200, { kind: 'APIGroup', apiVersion: 'v1', ...group });
      }
      case 'resources': {
        const resources = registry.resources(route.group, route.version);
        if (!resources) throw notFound('', 'groupversions', `${route.group}/${route.version}`);
        return send(response, 200, resources);
      }
      case 'unknown':
        throw notFound('', 'paths', url.pathname);
    }
    const resource = registry.find(route.group, route.version, route.plural);
    if (!resource) throw notFound(route.group, route.plural, route.name ?? '');
    const namespace = resource.namespaced ? route.namespace : undefined;
    if (route.subresource !== undefined && !(route.subresource === 'status' && resource.statusSubresource)) {
      throw notFound(route.group, `${route.plural}/${route.subresource}`, route.name ?? '');
    }
    const subresource = route.subresource as Subresource;
    const query = url.searchParams;
    // As kube-apiserver: the manager is ?fieldManager=, else named after the client's user agent.
    const writeOptions: WriteOptions = {
      manager:
        query.get('fieldManager') ?? (request.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown',
      subresource,
      force: query.get('force') === 'true',
      strict: query.get('fieldValidation') === 'Strict',
    };

    if (route.name === undefined) {
      if (method === 'GET' && ['1', 'true'].includes(query.get('watch') ?? '')) {
        return watch(resource, namespace, query, response, table ? (includeObject ?? 'Metadata') : undefined);
      }
      if (method === 'GET') {
        const list = listOf(resource, namespace, query);
        if (!table) return send(response, 200, list);
        const converted = tableOf(list.items, list.metadata.resourceVersion, includeObject, resource);
        return send(response, 200, { ...converted, metadata: list.metadata });
      }
      if (method === 'POST') {
        const body = (await readJson(request)) as KubeObject;
        return send(response, 201, api.create(resource, namespace, body, writeOptions));
      }
      throw methodNotAllowed(resource.group, resource.plural, method);
    }
    const name = route.name;
    switch (method) {
      case 'GET': {
        const object = api.get(resource, namespace, name);
        if (!table) return send(response, 200, object);
        return send(
          response,
          200,
          tableOf([object], object.metadata.resourceVersion, includeObject, resource),
        );
      }
      case 'PUT': {
        const body = (await readJson(request)) as KubeObject;
        return send(response, 200, api.update(resource, namespace, name, body, writeOptions));
      }
      case 'PATCH': {
        const text = await readText(request);
        const contentType = request.headers['content-type'] ?? '';
        const isApply = contentType.startsWith('application/apply-patch');
        // Server-side apply insists on an explicit manager.
        const options = isApply
          ? { ...writeOptions, manager: query.get('fieldManager') ?? '' }
          : writeOptions;
        const existed = isApply && api.store.get(resource, namespace, name) !== undefined;
        const patched = api.patch(resource, namespace, name, contentType, text, options);
        return send(response, isApply && !existed ? 201 : 200, patched);
      }
      case 'DELETE': {
        const body = (await readJson(request)) as { propagationPolicy?: PropagationPolicy } | undefined;
        const policy = (query.get('propagationPolicy') ??
          body?.propagationPolicy ??
          'Background') as PropagationPolicy;
        if (!['Background', 'Foreground', 'Orphan'].includes(policy))
          throw badRequest(`unsupported propagationPolicy ${policy}`);
        const deleted = api.delete(resource, namespace, name, policy);
        return send(response, 200, deleted);
      }
      default:
        throw methodNotAllowed(resource.group, resource.plural, method);
    }
  };

  /** "API Concepts: Efficient detection of changes" and "Retrieving large results sets in chunks". */
  const listOf = (resource: ResourceType, namespace: string | undefined, query: URLSearchParams) => {
    const selector = selectorOf(query, resource);
    const { items, resourceVersion } = api.list(resource, namespace);
    const selected = items.filter(selector.matches);
    const limit = query.get('limit') ? Number(query.get('limit')) : undefined;
    const page = paginate(selected, limit, query.get('continue') ?? undefined, {
      resourceVersion,
      oldestResourceVersion: String(store.oldestResumableRevision),
      countRemaining: !selector.filtered,
    });
    return {
      apiVersion: groupVersion(resource),
      kind: `${resource.kind}List`,
      metadata: {
        resourceVersion: page.resourceVersion,
        ...(page.continue ? { continue: page.continue } : {}),
        ...(page.remainingItemCount !== undefined ? { remainingItemCount: page.remainingItemCount } : {}),
      },
      items: page.items,
    };
  };

  /**
   * "API Concepts: Efficient detection of changes": without a resourceVersion the current state
   * arrives as ADDED events first; with one, every change after it; one the history no longer
   * holds ends the stream with an ERROR event carrying 410 Expired.
   */
  const watch = (
    resource: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
    response: ServerResponse,
    /** When set, each event's object is a Table of that one object (?includeObject=). */
    tableObjects?: string,
  ) => {
    const matches = selectorOf(query, resource).matches;
    const requested = query.get('resourceVersion');
    const resuming = requested !== null && requested !== '' && requested !== '0';
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Like kube-apiserver, answer at once: clients wait for the headers before they consider the
    // watch established, and a quiet resource may not produce an event for a long time.
    response.flushHeaders();
    let stalled = false;
    const buffered: string[] = [];
    const write = (type: string, object: unknown) => {
      const converted =
        tableObjects !== undefined && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')
          ? tableOf(
              [object as KubeObject],
              (object as KubeObject).metadata.resourceVersion,
              tableObjects,
              resource,
            )
          : object;
      const line = `${JSON.stringify({ type, object: converted })}\n`;
      if (stalled) buffered.push(line);
      else response.write(line);
    };
    // A watch that cannot start is still answered 200, with one in-stream ERROR event carrying 410
    // Expired, as kube-apiserver's watch cache does (seen on a real v1.36 control plane).
    if (resuming && Number(requested) < store.oldestResumableRevision) {
      write(
        'ERROR',
        gone(`too old resource version: ${requested} (${store.oldestResumableRevision})`).status,
      );
      response.end();
      return;
    }
    watches.set(response, {
      drop: () => {
        watches.delete(response);
        response.destroy();
      },
      stall: () => {
        stalled = true;
      },
      resume: () => {
        stalled = false;
        for (const line of buffered.splice(0)) response.write(line);
      },
      expire: () => {
        watches.delete(response);
        buffered.length = 0;
        stalled = false;
        write('ERROR', gone('The resourceVersion for the provided watch is too old.').status);
        response.end();
      },
    });
    let from = Number(store.resourceVersion);
    if (resuming) {
      from = Number(requested);
    } else {
      for (const object of api.list(resource, namespace).items) if (matches(object)) write('ADDED', object);
    }
    const stop = store.watch({ resource, namespace }, from, (event) => {
      if (matches(event.object)) write(event.type, event.object);
    });
    const timers: NodeJS.Timeout[] = [];
    if (['1', 'true'].includes(query.get('allowWatchBookmarks') ?? '')) {
      timers.push(
        setInterval(
          () =>
            // kube-apiserver waits, silent, until it has reached the resourceVersion asked for.
            !stalled &&
            Number(store.resourceVersion) >= from &&
            write('BOOKMARK', {
              apiVersion: groupVersion(resource),
              kind: resource.kind,
              metadata: { resourceVersion: store.resourceVersion },
            }),
          options.bookmarkIntervalMs ?? 1_000,
        ),
      );
    }
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
    if (timeoutSeconds > 0) timers.push(setTimeout(() => response.end(), timeoutSeconds * 1000));
    const end = () => {
      stop();
      for (const timer of timers) clearTimeout(timer);
      watches.delete(response);
    };
    response.on('close', end);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status: Status = isStatusError(error) ? error.status : internalError(String(error)).status;
      if (!response.headersSent) send(response, status.code, status);
      else response.end();
    });
  });
  const traffic = { connections: 0, requests: 0 };
  server.on('connection', () => {
    traffic.connections += 1;
  });
  server.on('request', () => {
    traffic.requests += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const controllers = options.controllers ? startSimulatedControllers(api, options.controllers) : undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    api,
    faults,
    traffic: () => ({ ...traffic }),
    async close() {
      controllers?.stop();
      for (const response of watches.keys()) response.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
