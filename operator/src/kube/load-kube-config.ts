import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { reuseConnections } from './reused-connections.js';

/** Where the kubelet mounts a pod's service account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  /** Where it came from, for the start-up log line. */
  source: string;
  /** The API server's URL. */
  server: string;
}

export interface KubeConfigSources {
  /** KUBECONFIG and KUBERNETES_SERVICE_HOST are read from here (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The home folder whose .kube/config is the last resort (default os.homedir()). */
  home?: string;
  /** Prefixed to SERVICE_ACCOUNT_DIR, for tests (default ''). */
  serviceAccountRoot?: string;
}

/**
 * The cluster to talk to, as kubectl and controller-runtime pick it: the files KUBECONFIG names
 * (merged, the first one's context current), else the pod's service account when
 * KUBERNETES_SERVICE_HOST is set, else ~/.kube/config. Unlike client-node's loadFromDefault, it never
 * falls back to http://localhost:8080: with no cluster configured it says so.
 */
export function loadKubeConfig(sources: KubeConfigSources = {}): LoadedKubeConfig {
  const { env = process.env, home = homedir(), serviceAccountRoot = '' } = sources;
  const kubeConfig = new KubeConfig();

  const files = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (files.length > 0) {
    const missing = files.filter((file) => !existsSync(file));
    if (missing.length > 0)
      throw new KubeConfigError(`KUBECONFIG names ${missing.join(', ')}, which does not exist`);
    readInto(kubeConfig, files[0] as string);
    for (const file of files.slice(1)) {
      const next = new KubeConfig();
      readInto(next, file);
      // As kubectl: the first file that names a current context wins.
      kubeConfig.mergeConfig(next, Boolean(kubeConfig.currentContext));
    }
    return checked(kubeConfig, `KUBECONFIG ${files.join(delimiter)}`);
  }

  if (env.KUBERNETES_SERVICE_HOST) {
    const token = `${serviceAccountRoot}${SERVICE_ACCOUNT_DIR}/token`;
    if (!existsSync(token))
      throw new KubeConfigError(
        `KUBERNETES_SERVICE_HOST is set but there is no service account token at ${token} ` +
          '(is automountServiceAccountToken off?)',
      );
    // client-node reads KUBERNETES_SERVICE_HOST and _PORT itself, and re-reads the rotating token.
    kubeConfig.loadFromCluster(serviceAccountRoot);
    return checked(kubeConfig, 'in-cluster service account');
  }

  const file = join(home, '.kube', 'config');
  if (existsSync(file)) {
    readInto(kubeConfig, file);
    return checked(kubeConfig, file);
  }
  throw new KubeConfigError(
    'No Kubernetes cluster configured: set KUBECONFIG to a kubeconfig file, run in a pod ' +
      `(KUBERNETES_SERVICE_HOST and a service account token), or create ${file}`,
  );
}

function readInto(kubeConfig: KubeConfig, file: string): void {
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    throw new KubeConfigError(`${file} is not a usable kubeconfig: ${(error as Error).message}`);
  }
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * client-node refuses a plain-HTTP server unless the cluster sets insecure-skip-tls-verify; kubectl
 * does not. On loopback (kubectl proxy, the fake kube-apiserver) nothing leaves the machine, so it is
 * allowed as kubectl allows it; a remote plain-HTTP server stays refused, with the reason.
 */
function checked(kubeConfig: KubeConfig, source: string): LoadedKubeConfig {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster?.server)
    throw new KubeConfigError(`${source}: no current context, or its cluster has no server URL`);
  const { server } = cluster;
  if (server.startsWith('http:') && !cluster.skipTLSVerify) {
    if (!isLoopback(new URL(server).hostname))
      throw new KubeConfigError(
        `${source}: ${server} is plain HTTP to another machine; use https, or set ` +
          'insecure-skip-tls-verify: true on that cluster to send credentials in clear text anyway',
      );
    kubeConfig.clusters = kubeConfig.clusters.map((each) =>
      each === cluster ? { ...each, skipTLSVerify: true } : each,
    );
  }
  return { kubeConfig: reuseConnections(kubeConfig), source, server };
}
