import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { Gauge, Registry } from 'prom-client';
import { freePort } from '../../api/test/support/free-port.js';
import { type Observed, type OperatorServers, startOperatorServers } from '../src/http/operator-server.js';
import { httpGet } from './support/operator-process.js';

/** The probe and metrics servers in process, with a stand-in for the operator. */

function fakeOperator(registry = new Registry()): Observed & { ready: boolean } {
  new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', registers: [registry] }).set(
    3,
  );
  return { ready: false, metrics: { registry } };
}

async function start(
  t: ExecutionContext,
  operator: Observed,
  ports: { healthPort?: number; metricsPort?: number } = {},
): Promise<OperatorServers & { health: string; metrics: string }> {
  const servers = await startOperatorServers({
    operator,
    healthPort: ports.healthPort ?? 0,
    metricsPort: ports.metricsPort ?? 0,
    host: '127.0.0.1',
  });
  t.teardown(() => servers.close());
  return {
    ...servers,
    health: `http://127.0.0.1:${servers.healthPort}`,
    metrics: `http://127.0.0.1:${servers.metricsPort}`,
  };
}

test('port 0 picks a free port for each server, and they differ', async (t) => {
  const servers = await start(t, fakeOperator());
  t.true(servers.healthPort > 0);
  t.true(servers.metricsPort > 0);
  t.not(servers.healthPort, servers.metricsPort);
});

test('/healthz answers 200 whether or not the operator is ready', async (t) => {
  const { health } = await start(t, fakeOperator());
  const response = await httpGet(`${health}/healthz`);
  t.is(response.status, 200);
  t.deepEqual(JSON.parse(response.body), { status: 'ok' });
  t.is(response.headers.get('content-type'), 'application/json');
});

test('/readyz is 503 with the reason until the caches are synced, then 200', async (t) => {
  const operator = fakeOperator();
  const { health } = await start(t, operator);
  const before = await httpGet(`${health}/readyz`);
  t.is(before.status, 503);
  t.deepEqual(JSON.parse(before.body), {
    ready: false,
    reason: 'caches not synced: waiting for the first list of every watched resource',
  });
  operator.ready = true;
  const after = await httpGet(`${health}/readyz?verbose`);
  t.is(after.status, 200, 'the query string is ignored');
  t.deepEqual(JSON.parse(after.body), { ready: true });
});

test('once shutdown begins /readyz is 503 "shutting down" and /healthz still 200', async (t) => {
  const operator = fakeOperator();
  operator.ready = true;
  const servers = await start(t, operator);
  servers.beginShutdown();
  const readyz = await httpGet(`${servers.health}/readyz`);
  t.is(readyz.status, 503);
  t.deepEqual(JSON.parse(readyz.body), { ready: false, reason: 'shutting down' });
  t.is((await httpGet(`${servers.health}/healthz`)).status, 200);
});

test('/metrics serves the registry in the Prometheus text format', async (t) => {
  const registry = new Registry();
  const { metrics } = await start(t, fakeOperator(registry));
  const response = await httpGet(`${metrics}/metrics`);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), registry.contentType);
  t.regex(response.body, /^workqueue_depth 3$/m);
});

test('each port serves its own paths only; anything else is 404', async (t) => {
  const { health, metrics } = await start(t, fakeOperator());
  t.is((await httpGet(`${health}/metrics`)).status, 404);
  t.is((await httpGet(`${metrics}/healthz`)).status, 404);
  t.is((await httpGet(`${metrics}/readyz`)).status, 404);
  const unknown = await httpGet(`${health}/`);
  t.is(unknown.status, 404);
  t.deepEqual(JSON.parse(unknown.body), { error: 'not found', paths: ['/healthz', '/readyz'] });
  t.is((await httpGet(`${health}/healthz/extra`)).status, 404);
  t.is((await httpGet(`${health}/constructor`)).status, 404, 'no inherited property is a route');
});

test('HEAD answers like GET without a body; other methods get 405 with Allow', async (t) => {
  const { health } = await start(t, fakeOperator());
  const head = await httpGet(`${health}/healthz`, 'HEAD');
  t.is(head.status, 200);
  t.is(head.body, '');
  const post = await httpGet(`${health}/readyz`, 'POST');
  t.is(post.status, 405);
  t.is(post.headers.get('allow'), 'GET, HEAD');
});

test('the same non-zero port for both serves the probes and the metrics from one listener', async (t) => {
  const port = await freePort();
  const servers = await start(t, fakeOperator(), { healthPort: port, metricsPort: port });
  t.is(servers.healthPort, port);
  t.is(servers.metricsPort, port);
  for (const path of ['/healthz', '/metrics']) t.is((await httpGet(`${servers.health}${path}`)).status, 200);
  t.is((await httpGet(`${servers.health}/readyz`)).status, 503);
});

test('a failing registry answers 500, not a hung scrape', async (t) => {
  const registry = new Registry();
  registry.metrics = () => Promise.reject(new Error('collector failed'));
  const { metrics } = await start(t, { ready: true, metrics: { registry } });
  const response = await httpGet(`${metrics}/metrics`);
  t.is(response.status, 500);
  t.deepEqual(JSON.parse(response.body), { error: 'metrics unavailable' });
});

test('a port in use rejects naming its setting, and the server already started is closed', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const { port } = taken.address() as AddressInfo;
  const host = '127.0.0.1';
  const operator = fakeOperator();

  await t.throwsAsync(startOperatorServers({ operator, healthPort: port, metricsPort: 0, host }), {
    message: new RegExp(`^HEALTH_PORT ${port}: listen EADDRINUSE`),
  });
  const healthPort = await freePort();
  await t.throwsAsync(startOperatorServers({ operator, healthPort, metricsPort: port, host }), {
    message: new RegExp(`^METRICS_PORT ${port}: listen EADDRINUSE`),
  });
  // The health server of the failed start is closed: its port can be listened on again.
  const again = await startOperatorServers({ operator, healthPort, metricsPort: 0, host });
  await again.close();
  t.pass();
});

test('close() stops listening even with an idle keep-alive connection open', async (t) => {
  const operator = fakeOperator();
  const servers = await startOperatorServers({ operator, healthPort: 0, metricsPort: 0, host: '127.0.0.1' });
  // fetch keeps its connection alive after the answer.
  t.is((await httpGet(`http://127.0.0.1:${servers.healthPort}/healthz`)).status, 200);
  await servers.close();
  await t.throwsAsync(httpGet(`http://127.0.0.1:${servers.healthPort}/healthz`));
});

test('close() cuts a scrape still in flight after its deadline', async (t) => {
  const registry = new Registry();
  let scraping: () => void = () => {};
  const inFlight = new Promise<void>((resolve) => {
    scraping = resolve;
  });
  registry.metrics = () => {
    scraping();
    return new Promise<string>(() => {});
  };
  const servers = await startOperatorServers({
    operator: { ready: true, metrics: { registry } },
    healthPort: 0,
    metricsPort: 0,
    host: '127.0.0.1',
  });
  const outcome = new Promise<string>((resolve) => {
    const req = request(`http://127.0.0.1:${servers.metricsPort}/metrics`, () => resolve('answered'));
    req.on('error', (error) => resolve(`cut: ${error.message}`));
    req.end();
  });
  await inFlight;
  await servers.close();
  t.is(await outcome, 'cut: socket hang up');
});
