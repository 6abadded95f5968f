import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/** Only when asked for and when the CRD exists: applying a ServiceMonitor without it would fail. */
export function rendersServiceMonitor({ app, context }: RenderInput): boolean {
  return app.spec.monitoring.serviceMonitor.enabled && context.serviceMonitorAvailable;
}

/**
 * A ServiceMonitor for the Prometheus Operator, scraping `/metrics` through the Service's `metrics` port.
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
      // The Service carries the same selector labels as the pods.
      selector: { matchLabels: selectorLabels(app.name) },
      // job="skeleton-api" for every app, as the alerts and dashboards select it (the default would
      // be the Service's name, a different job per app).
      jobLabel: 'app.kubernetes.io/name',
      namespaceSelector: { matchNames: [app.namespace] },
      endpoints: [{ port: 'metrics', path: '/metrics', interval }],
    },
  });
}
