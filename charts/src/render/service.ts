import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { METRICS_PORT } from './deployment.js';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/** A ClusterIP Service; the target is the container port's name, so the number can change freely. */
export function addService(scope: Construct, input: RenderInput): ApiObject {
  const { app } = input;
  return new ApiObject(scope, 'service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(input, names(app.name).service),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(app.name),
      // By name: the Ingress sends clients to `http`, the ServiceMonitor scrapes `metrics`.
      ports: [
        { name: 'http', port: app.spec.service.port, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  });
}
