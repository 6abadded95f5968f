import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
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
      // Named `http`: the ServiceMonitor and the Ingress refer to the port by this name.
      ports: [{ name: 'http', port: app.spec.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  });
}
