import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { METRICS_PORT } from './deployment.js';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/**
 * The ClusterIP Service clients and the Ingress use: the API's port and nothing else, so no route to
 * it can reach the metrics. The target is the container port's name, so the number can change freely.
 */
export function addService(scope: Construct, input: RenderInput): ApiObject {
  const { app } = input;
  return new ApiObject(scope, 'service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, names(app.name).service),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(app.name),
      ports: [{ name: 'http', port: app.spec.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  });
}

/**
 * A headless Service over the same pods, with only the metrics port: what the ServiceMonitor (or any
 * Prometheus discovering endpoints) scrapes. Headless because a scrape goes to each pod, never
 * through a virtual IP. Its component label is `metrics`, so the ServiceMonitor selects it alone.
 */
export function addMetricsService(scope: Construct, input: RenderInput): ApiObject {
  const { app } = input;
  return new ApiObject(scope, 'metrics-service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, names(app.name).metricsService, { component: 'metrics' }),
    spec: {
      type: 'ClusterIP',
      clusterIP: 'None',
      selector: selectorLabels(app.name),
      ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
    },
  });
}
