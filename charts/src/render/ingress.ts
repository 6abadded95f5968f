import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { names, objectMeta, type RenderInput } from './metadata.js';

/**
 * The paths clients need, and only those: the API under /api, its OpenAPI document and its public
 * signing keys. The health probes are for the kubelet, so they are not routed from outside.
 */
const PUBLIC_PATHS = [
  { path: '/api/', pathType: 'Prefix' },
  { path: '/openapi.json', pathType: 'Exact' },
  { path: '/.well-known/jwks.json', pathType: 'Exact' },
] as const;

/** Exposes the Service on one host; TLS only when a certificate Secret is named. */
export function addIngress(scope: Construct, input: RenderInput): ApiObject | undefined {
  const { app } = input;
  const spec = app.spec.ingress;
  if (!spec) return undefined;
  const { service } = names(app.name);
  return new ApiObject(scope, 'ingress', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(input, names(app.name).ingress),
    spec: {
      ...(spec.className ? { ingressClassName: spec.className } : {}),
      ...(spec.tlsSecretName ? { tls: [{ hosts: [spec.host], secretName: spec.tlsSecretName }] } : {}),
      rules: [
        {
          host: spec.host,
          http: {
            paths: PUBLIC_PATHS.map(({ path, pathType }) => ({
              path,
              pathType,
              // By port name, so changing spec.service.port needs no change here.
              backend: { service: { name: service, port: { name: 'http' } } },
            })),
          },
        },
      ],
    },
  });
}
