import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/** Only when asked for and when the CRD exists: applying a ServiceMonitor without it would fail. */
export function rendersServiceMonitor({ app, context }: RenderInput): boolean {
  return app.spec.monitoring.serviceMonitor.enabled && context.serviceMonitorAvailable;
}

/**
 * A ServiceMonitor for the Prometheus Operator, scraping `/metrics` through the metrics Service.
 * The extra labels are how a Prometheus' serviceMonitorSelector picks it up (e.g. `release: kube-prometheus`).
 */
export function addServiceMonitor(scope: Construct, input: RenderInput): ApiObject | undefined {
  if (!rendersServiceMonitor(input)) return undefined;
  const { app } = input;
  const { interval, labels } = app.spec.monitoring.serviceMonitor;
  return new ApiObject(scope, 'service-monitor', {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: objectMeta(input, names(app.name).serviceMonitor, { extraLabels: labels }),
    spec: {
      // The metrics Service's labels: the app's Service, which has no metrics port, is not selected.
      selector: { matchLabels: selectorLabels(app.name, 'metrics') },
      // job="skeleton-api" for every app, as the alerts and dashboards select it (the default would
      // be the Service's name, a different job per app).
      jobLabel: 'app.kubernetes.io/name',
      namespaceSelector: { matchNames: [app.namespace] },
      endpoints: [{ port: 'metrics', path: '/metrics', interval }],
    },
  });
}
