import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { selectorLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';
import { rendersServiceMonitor } from './monitoring.js';

type Peer = RenderInput['app']['spec']['networkPolicy']['ingressFrom'][number];

/** The namespace Prometheus scrapes from, by the label Kubernetes sets on every namespace. */
const MONITORING_NAMESPACE = { 'kubernetes.io/metadata.name': 'monitoring' };

function peer({ namespaceSelector, podSelector }: Peer) {
  // A peer with neither selector is invalid in Kubernetes; read it as "pods of this namespace".
  if (!namespaceSelector && !podSelector) return { podSelector: {} };
  return {
    ...(namespaceSelector ? { namespaceSelector: { matchLabels: namespaceSelector } } : {}),
    ...(podSelector ? { podSelector: { matchLabels: podSelector } } : {}),
  };
}

function ingress(input: RenderInput) {
  const { ingressFrom } = input.app.spec.networkPolicy;
  const http = [{ port: 'http', protocol: 'TCP' }];
  // No peers configured: only pods of the app's own namespace (an empty podSelector, no namespaceSelector).
  const from = ingressFrom.length > 0 ? ingressFrom.map(peer) : [{ podSelector: {} }];
  const { ingress: exposed } = input.app.spec;
  return [
    { from, ports: http },
    // The Ingress works only if its controller's pods may reach the API.
    ...(exposed
      ? [{ from: [{ namespaceSelector: { matchLabels: exposed.controllerNamespaceSelector } }], ports: http }]
      : []),
    ...(rendersServiceMonitor(input)
      ? [
          {
            from: [{ namespaceSelector: { matchLabels: MONITORING_NAMESPACE } }],
            ports: [{ port: 'metrics', protocol: 'TCP' }],
          },
        ]
      : []),
  ];
}

function egress(input: RenderInput) {
  const { spec } = input.app;
  const { egressTo, databasePort, redisPort } = spec.networkPolicy;
  const dataPorts = [
    { port: databasePort, protocol: 'TCP' },
    ...(spec.redis ? [{ port: redisPort, protocol: 'TCP' }] : []),
  ];
  return [
    // DNS to anywhere: resolvers differ by cluster (kube-dns, NodeLocal DNSCache on a link-local address).
    {
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
    // No `to` means any destination, but still only these ports.
    {
      ...(egressTo.length > 0 ? { to: egressTo.map((cidr) => ({ ipBlock: { cidr } })) } : {}),
      ports: dataPorts,
    },
  ];
}

/** Default-deny for the API pods in both directions, then exactly what the API needs. */
export function addNetworkPolicy(scope: Construct, input: RenderInput): ApiObject | undefined {
  const { app } = input;
  if (!app.spec.networkPolicy.enabled) return undefined;
  return new ApiObject(scope, 'network-policy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(input, names(app.name).networkPolicy),
    spec: {
      podSelector: { matchLabels: selectorLabels(app.name) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress(input),
      egress: egress(input),
    },
  });
}

/**
 * The migration Job's pods: nothing may reach them, and they may reach only DNS and the database.
 * Rendered whenever the API's policy is, so no pod of the app runs unrestricted.
 */
export function addMigrationNetworkPolicy(scope: Construct, input: RenderInput): ApiObject | undefined {
  const { app } = input;
  if (!app.spec.networkPolicy.enabled || !app.spec.migrations.enabled) return undefined;
  const { egressTo, databasePort } = app.spec.networkPolicy;
  return new ApiObject(scope, 'migration-network-policy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(input, `${names(app.name).networkPolicy}-migration`, { component: 'migration' }),
    spec: {
      podSelector: { matchLabels: selectorLabels(app.name, 'migration') },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
        {
          ...(egressTo.length > 0 ? { to: egressTo.map((cidr) => ({ ipBlock: { cidr } })) } : {}),
          ports: [{ port: databasePort, protocol: 'TCP' }],
        },
      ],
    },
  });
}
