import { KubeConfig } from '@kubernetes/client-node';
import test from 'ava';
import { registerConformance } from './support/conformance.js';

/**
 * The same suite against a real cluster, to prove the fake right: only when CONFORMANCE_KUBECONFIG
 * names one explicitly (never a developer's ambient KUBECONFIG, which may point at production).
 * It creates and deletes its own namespaces; the fake-only checks are skipped there.
 */
const kubeconfig = process.env.CONFORMANCE_KUBECONFIG;

if (kubeconfig) {
  registerConformance({
    name: 'cluster',
    fake: false,
    async start() {
      const config = new KubeConfig();
      config.loadFromFile(kubeconfig);
      return { config, close: async () => {} };
    },
  });
} else {
  test.skip('conformance against a real cluster (set CONFORMANCE_KUBECONFIG to a cluster to run it)', () => {});
}
