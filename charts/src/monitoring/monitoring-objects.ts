import type { KubernetesObject } from '../render/types.js';

/** What the monitoring package is made of: the generated dashboards and rule file, as parsed JSON/YAML. */
export interface MonitoringSources {
  /** Dashboard JSON by file name, e.g. `skeleton-api.json`. */
  dashboards: Record<string, object>;
  /** A Prometheus rule file: `{ groups: [...] }`. */
  rules: { groups: unknown[] };
}

/** The label the Grafana sidecar (kube-prometheus-stack, grafana Helm chart) loads dashboards by. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

/** The label a Prometheus Operator `ruleSelector` should match to load the rules. */
export const PROMETHEUS_RULE_LABEL = 'skeleton.dev/prometheus-rules';

const labels = { 'app.kubernetes.io/part-of': 'skeleton', 'app.kubernetes.io/managed-by': 'skeleton-charts' };

/**
 * The alerts as a PrometheusRule and each dashboard as a ConfigMap for the Grafana sidecar, in the
 * operator's namespace: the on-call package installed with the same `kubectl apply` as the operator.
 * Pure: the sources are passed in (synth reads them from the alerts and dashboards packages' output).
 */
export function monitoringObjects(namespace: string, sources: MonitoringSources): KubernetesObject[] {
  const dashboards = Object.entries(sources.dashboards)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, dashboard]) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${file.replace(/\.json$/, '')}-dashboard`,
        namespace,
        labels: { ...labels, [GRAFANA_DASHBOARD_LABEL]: '1' },
        // The sidecar files dashboards into this folder (grafana chart: sidecar.dashboards.folderAnnotation).
        annotations: { grafana_folder: 'Skeleton' },
      },
      data: { [file]: `${JSON.stringify(dashboard, null, 2)}\n` },
    }));
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'skeleton', namespace, labels: { ...labels, [PROMETHEUS_RULE_LABEL]: 'true' } },
    spec: { groups: sources.rules.groups },
  };
  return [rule, ...dashboards];
}
