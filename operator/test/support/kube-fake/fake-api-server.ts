import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeApi, type PropagationPolicy, type Subresource, type WriteOptions } from './kube-api.js';
import { ObjectStore, ResourceVersionTooOld } from './object-store.js';
import { groupVersion, ResourceRegistry, type ResourceType } from './resource-registry.js';
import { parseRoute } from './routes.js';
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
}

export interface FakeApiServer {
  url: string;
  api: KubeApi;
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

function send(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

/**
 * An HTTP-level fake of kube-apiserver on 127.0.0.1 and a random port: real URLs, real status
 * codes and metav1.Status bodies, so @kubernetes/client-node and kubectl talk to it unchanged.
 */
export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const registry = new ResourceRegistry();
  const store = new ObjectStore(options.historySize);
  const api = new KubeApi(registry, store);
  const watches = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://kube-fake');
    const route = parseRoute(url.pathname);
    const method = request.method ?? 'GET';
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
    };

    if (route.name === undefined) {
      if (method === 'GET' && ['1', 'true'].includes(query.get('watch') ?? '')) {
        return watch(resource, namespace, query, response);
      }
      if (method === 'GET') return send(response, 200, listOf(resource, namespace, query));
      if (method === 'POST') {
        const body = (await readJson(request)) as KubeObject;
        return send(response, 201, api.create(resource, namespace, body, writeOptions));
      }
      throw methodNotAllowed(resource.group, resource.plural, method);
    }
    const name = route.name;
    switch (method) {
      case 'GET':
        return send(response, 200, api.get(resource, namespace, name));
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
    const labels = query.get('labelSelector')
      ? parseLabelSelector(query.get('labelSelector') as string)
      : undefined;
    const fields = query.get('fieldSelector')
      ? parseFieldSelector(query.get('fieldSelector') as string)
      : undefined;
    const { items, resourceVersion } = api.list(resource, namespace);
    const selected = items.filter(
      (item) =>
        (labels === undefined || labels(item.metadata.labels)) && (fields === undefined || fields(item)),
    );
    const limit = query.get('limit') ? Number(query.get('limit')) : undefined;
    const page = paginate(selected, limit, query.get('continue') ?? undefined, {
      resourceVersion,
      oldestResourceVersion: String(store.oldestResumableRevision),
      countRemaining: labels === undefined && fields === undefined,
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
  ) => {
    const labels = query.get('labelSelector')
      ? parseLabelSelector(query.get('labelSelector') as string)
      : undefined;
    const fields = query.get('fieldSelector')
      ? parseFieldSelector(query.get('fieldSelector') as string)
      : undefined;
    const matches = (object: KubeObject) =>
      (labels === undefined || labels(object.metadata.labels)) && (fields === undefined || fields(object));
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Like kube-apiserver, answer at once: clients wait for the headers before they consider the
    // watch established, and a quiet resource may not produce an event for a long time.
    response.flushHeaders();
    watches.add(response);
    const write = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
    const requested = query.get('resourceVersion');
    let from = Number(store.resourceVersion);
    if (requested === null || requested === '' || requested === '0') {
      for (const object of api.list(resource, namespace).items) if (matches(object)) write('ADDED', object);
    } else {
      from = Number(requested);
    }
    let stop = () => {};
    try {
      stop = store.watch({ resource, namespace }, from, (event) => {
        if (matches(event.object)) write(event.type, event.object);
      });
    } catch (error) {
      if (!(error instanceof ResourceVersionTooOld)) throw error;
      write('ERROR', gone(error.message).status);
      response.end();
      watches.delete(response);
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    if (['1', 'true'].includes(query.get('allowWatchBookmarks') ?? '')) {
      timers.push(
        setInterval(
          () =>
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    api,
    async close() {
      for (const response of watches) response.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
