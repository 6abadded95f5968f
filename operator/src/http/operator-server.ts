import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What the probes and the scrape read from the operator. */
export interface Observed {
  /** Every cache has its first list; leadership does not matter (a standby is ready too). */
  readonly ready: boolean;
  readonly metrics: { readonly registry: Registry };
}

type Route = (response: ServerResponse) => void;
type Routes = Record<string, Route>;

function json(response: ServerResponse, status: number, body: object): void {
  response
    .writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
    .end(`${JSON.stringify(body)}\n`);
}

/** GET (or HEAD) on exactly these paths; the query string is ignored, anything else is 404 or 405. */
export function routeRequests(routes: Routes): RequestListener {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return json(response, 404, { error: 'not found', paths: Object.keys(routes) });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return json(response, 405, { error: 'method not allowed' });
    }
    route(response);
  };
}

/**
 * /healthz: the process answers, so its event loop runs (the liveness probe). /readyz: 200 once every
 * cache has its first list, 503 with the reason before that and once shutdown has started.
 */
export function probeRoutes(operator: Pick<Observed, 'ready'>, shuttingDown: () => boolean): Routes {
  return {
    '/healthz': (response) => json(response, 200, { status: 'ok' }),
    '/readyz': (response) => {
      if (shuttingDown()) return json(response, 503, { ready: false, reason: 'shutting down' });
      if (!operator.ready)
        return json(response, 503, {
          ready: false,
          reason: 'caches not synced: waiting for the first list of every watched resource',
        });
      json(response, 200, { ready: true });
    },
  };
}

/** /metrics in Prometheus' text format, from the operator's own registry. */
export function metricsRoutes(registry: Registry): Routes {
  return {
    '/metrics': (response) => {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        () => json(response, 500, { error: 'metrics unavailable' }),
      );
    },
  };
}

export interface OperatorServersOptions {
  operator: Observed;
  healthPort: number;
  metricsPort: number;
  /** Default: every interface, since the kubelet probes and Prometheus scrapes the pod's IP. */
  host?: string;
}

export interface OperatorServers {
  /** The ports actually listened on (a configured 0 becomes the port the system picked). */
  readonly healthPort: number;
  readonly metricsPort: number;
  /** From now on /readyz answers 503 "shutting down"; /healthz answers 200 until close(). */
  beginShutdown(): void;
  /** Stops accepting, lets requests in flight finish, and cuts what is left after a second. */
  close(): Promise<void>;
}

const CLOSE_DEADLINE_MS = 1_000;

async function listen(
  routes: Routes,
  host: string | undefined,
  port: number,
  setting: string,
): Promise<Server> {
  const server = createServer(routeRequests(routes));
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(new Error(`${setting} ${port}: ${error.message}`));
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return server;
}

async function closeGracefully(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = setTimeout(() => server.closeAllConnections(), CLOSE_DEADLINE_MS);
  await closed;
  clearTimeout(deadline);
}

/**
 * The probes on HEALTH_PORT and the scrape on METRICS_PORT, as controller-runtime serves them. The
 * same non-zero port for both serves all three paths from one listener.
 */
export async function startOperatorServers(options: OperatorServersOptions): Promise<OperatorServers> {
  const { operator, healthPort, metricsPort, host } = options;
  let shuttingDown = false;
  const probes = probeRoutes(operator, () => shuttingDown);
  const metrics = metricsRoutes(operator.metrics.registry);

  const servers: Server[] = [];
  try {
    if (healthPort !== 0 && healthPort === metricsPort) {
      servers.push(await listen({ ...probes, ...metrics }, host, healthPort, 'HEALTH_PORT and METRICS_PORT'));
    } else {
      servers.push(await listen(probes, host, healthPort, 'HEALTH_PORT'));
      servers.push(await listen(metrics, host, metricsPort, 'METRICS_PORT'));
    }
  } catch (error) {
    await Promise.all(servers.map(closeGracefully));
    throw error;
  }
  const portOf = (server: Server) => (server.address() as AddressInfo).port;
  return {
    healthPort: portOf(servers[0] as Server),
    metricsPort: portOf(servers.at(-1) as Server),
    beginShutdown() {
      shuttingDown = true;
    },
    close: async () => {
      await Promise.all(servers.map(closeGracefully));
    },
  };
}
