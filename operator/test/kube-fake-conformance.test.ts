import { registerConformance } from './support/conformance.js';
import { startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';

registerConformance({
  name: 'kube-fake',
  fake: true,
  async start() {
    const fake = await startFakeApiServer({ historySize: 50, bookmarkIntervalMs: 100 });
    return { config: kubeConfigFor(fake.url), close: () => fake.close() };
  },
});
