import * as k8s from '@kubernetes/client-node';
import type { BackoffOptions } from './backoff.js';
import { WatchedCache } from './watched-cache.js';

export const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

interface CrdLike {
  spec?: { versions?: { name?: string; served?: boolean }[] };
  status?: { conditions?: { type?: string; status?: string }[] };
}

/** Whether a ServiceMonitor CRD serves monitoring.coreos.com/v1: established and v1 served. */
export function servesServiceMonitorV1(crd: CrdLike | undefined): boolean {
  if (!crd) return false;
  const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  const served = crd.spec?.versions?.some((version) => version.name === 'v1' && version.served !== false);
  return Boolean(established && served);
}

export interface ServiceMonitorApiOptions {
  kubeConfig: k8s.KubeConfig;
  /** Called whenever the answer changes, including to true at start-up. */
  onChange(available: boolean): void;
  inactivityTimeoutMs?: number;
  backoff?: BackoffOptions;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * Whether the Prometheus Operator's ServiceMonitor API is served, kept current by watching its one
 * CRD (by name, so nothing else of the cluster is read): installing the CRD later leads to the
 * ServiceMonitors without a restart, and removing it is noticed too.
 */
export class ServiceMonitorApi {
  private readonly crds: WatchedCache<k8s.V1CustomResourceDefinition>;
  private current = false;

  constructor(private readonly options: ServiceMonitorApiOptions) {
    const extensions = options.kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
    this.crds = new WatchedCache<k8s.V1CustomResourceDefinition>({
      kubeConfig: options.kubeConfig,
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      fieldSelector: `metadata.name=${SERVICE_MONITOR_CRD}`,
      list: ({ fieldSelector }) => extensions.listCustomResourceDefinition({ fieldSelector }),
      inactivityTimeoutMs: options.inactivityTimeoutMs,
      backoff: options.backoff,
      log: options.log,
      onEvent: () => this.evaluate(),
    });
  }

  get available(): boolean {
    return this.current;
  }

  get synced(): boolean {
    return this.crds.synced;
  }

  async start(): Promise<void> {
    await this.crds.start();
    this.evaluate();
  }

  stop(): Promise<void> {
    return this.crds.stop();
  }

  private evaluate(): void {
    const available = servesServiceMonitorV1(this.crds.get(undefined, SERVICE_MONITOR_CRD));
    if (available === this.current) return;
    this.current = available;
    this.options.onChange(available);
  }
}
