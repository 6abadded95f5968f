import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const CONTEXT = 'kube-fake';

function kubeconfigDocument(server: string) {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT, cluster: { server } }],
    users: [{ name: CONTEXT, user: { token: 'kube-fake' } }],
    contexts: [{ name: CONTEXT, context: { cluster: CONTEXT, user: CONTEXT, namespace: 'default' } }],
    'current-context': CONTEXT,
  };
}

/** A client-node KubeConfig pointing at the fake. */
export function kubeConfigFor(server: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: CONTEXT, server, skipTLSVerify: true }],
    users: [{ name: CONTEXT, token: 'kube-fake' }],
    contexts: [{ name: CONTEXT, cluster: CONTEXT, user: CONTEXT, namespace: 'default' }],
    currentContext: CONTEXT,
  });
  return config;
}

/** A kubeconfig file for kubectl and other clients. JSON is valid YAML. */
export function writeKubeconfig(path: string, server: string): void {
  writeFileSync(path, `${JSON.stringify(kubeconfigDocument(server), null, 2)}\n`);
}
