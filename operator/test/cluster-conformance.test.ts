import { KubeConfig } from '@kubernetes/client-node';
import { registerConformance } from './support/conformance.js';
import { controlPlaneKubeconfigPath } from './support/control-plane-cluster.js';

/**
 * The same suite against a real cluster, to prove the fake right: the control plane this repository
 * builds (kube-apiserver, kube-controller-manager and etcd from their Go modules), or the cluster
 * CONFORMANCE_KUBECONFIG names explicitly (never a developer's ambient KUBECONFIG, which may point at
 * production). It creates and deletes its own namespaces; the fake-only checks are skipped there.
 */
registerConformance({
  name: 'cluster',
  fake: false,
  async start() {
    const config = new KubeConfig();
    config.loadFromFile(process.env.CONFORMANCE_KUBECONFIG ?? (await controlPlaneKubeconfigPath()));
    return { config, close: async () => {} };
  },
});
