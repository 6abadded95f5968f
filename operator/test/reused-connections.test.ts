import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { loadKubeConfig } from '../src/kube/load-kube-config.js';
import { reuseConnections } from '../src/kube/reused-connections.js';
import { onEachBackend } from './support/each-backend.js';
import { startClusterOn } from './support/operator-harness.js';

const REQUESTS = 20;

test('the operator’s KubeConfig reuses its connections to the API server', async (t) => {
  let connections = 0;
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', metadata: {}, items: [] }));
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'reused-connections-'));
  t.teardown(() => {
    server.close();
    server.closeAllConnections();
    rmSync(dir, { recursive: true, force: true });
  });
  const file = join(dir, 'kubeconfig');
  const { port } = server.address() as AddressInfo;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  const { kubeConfig } = loadKubeConfig({ env: { KUBECONFIG: file } });
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  for (let request = 0; request < REQUESTS; request += 1) await core.listNamespace();
  t.is(connections, 1, `${REQUESTS} requests one after another share one connection`);
});

onEachBackend('20 requests through reuseConnections ride one socket of one agent', async (t, backend) => {
  const cluster = await startClusterOn(backend);
  t.teardown(() => cluster.close());
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(cluster.kubeConfig.exportConfig());
  // Counts what client-node's own factory makes, under the reuse: agents, and the sockets they open.
  const factory = kubeConfig as unknown as { createAgent(...args: unknown[]): Agent };
  const makeAgent = factory.createAgent.bind(kubeConfig);
  const agents: Agent[] = [];
  const sockets = new Set<unknown>();
  factory.createAgent = (...args) => {
    const agent = makeAgent(...args);
    agent.on('free', (socket) => sockets.add(socket));
    agents.push(agent);
    return agent;
  };
  const core = reuseConnections(kubeConfig).makeApiClient(k8s.CoreV1Api);
  for (let request = 0; request < REQUESTS; request += 1) await core.readNamespace({ name: 'default' });
  t.is(agents.length, 1);
  t.is(sockets.size, 1);
});
