import { join } from 'node:path';
import { skeletonAppCrd } from '@skeleton/charts';
import { startFakeApiServer } from '../../operator/test/support/kube-fake/fake-api-server.js';
import { writeKubeconfig } from '../../operator/test/support/kube-fake/kubeconfig.js';
import type { BenchBackend, Send } from './backend.js';
import { created } from './cluster.js';

const JSON_TYPE = 'application/json';

/**
 * The fake kube-apiserver in this process, with the cluster's controllers simulated (Deployments
 * become Available, Jobs complete, HPAs report at once), the SkeletonApp CRD installed (as JSON:
 * client-node's typed model drops schema keys) and the namespaces created. No ServiceMonitor CRD:
 * the operator then renders no ServiceMonitor and reports monitoring as unavailable.
 */
export async function startFakeBackend(namespaces: string[], directory: string): Promise<BenchBackend> {
  const fake = await startFakeApiServer({
    controllers: { onError: (error) => process.stderr.write(`simulated controller: ${String(error)}\n`) },
  });
  const send: Send = async (method, path, body, contentType = JSON_TYPE) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: { 'content-type': contentType, accept: JSON_TYPE },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.text() };
  };
  try {
    await created(send, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', skeletonAppCrd());
    for (const name of namespaces) await created(send, '/api/v1/namespaces', { metadata: { name } });
  } catch (error) {
    await fake.close();
    throw error;
  }
  const kubeconfig = join(directory, 'kubeconfig');
  writeKubeconfig(kubeconfig, fake.url);
  return {
    name: 'kube-fake',
    kubeconfig,
    namespaces,
    send,
    // The store's own notifications, in this process: each change is seen as it is stored.
    async follow(kind, listener) {
      const resource = fake.api.registry.byKind(kind.apiVersion, kind.kind);
      if (!resource) throw new Error(`the fake serves no ${kind.apiVersion} ${kind.kind}`);
      return fake.api.store.watch({ resource }, Number(fake.api.store.resourceVersion), listener);
    },
    fake,
    close: () => fake.close(),
  };
}
