import { ApiObject, App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  OPERATOR_CLUSTER_PERMISSIONS,
  OPERATOR_CLUSTER_SCOPED_PERMISSIONS,
  OPERATOR_NAMESPACE_PERMISSIONS,
  OPERATOR_WATCHED_NAMESPACE_PERMISSIONS,
} from './permissions.js';
import { OPERATOR_SHUTDOWN, operatorTerminationGracePeriodSeconds } from './shutdown.js';

export interface OperatorInstallOptions {
  namespace: string;
  image: string;
  version: string;
  /**
   * The namespaces to watch (WATCH_NAMESPACES). Set, the operator gets a Role in each of them and a
   * ClusterRole only for what is cluster-scoped; unset, one ClusterRole for every namespace.
   */
  watchNamespaces?: readonly string[];
}

const NAME = 'skeleton-operator';
/** Metrics for Prometheus; health (liveness and readiness) on a port of its own. */
const METRICS_PORT = 8080;
const HEALTH_PORT = 8081;

/**
 * What `kubectl apply` installs to run the operator: its namespace, identity, least-privilege
 * RBAC, two replicas (one leads, one waits) and the metrics Service.
 */
export class OperatorInstall extends Chart {
  constructor(scope: Construct, id: string, options: OperatorInstallOptions) {
    super(scope, id, { disableResourceNameHashes: true });
    const { namespace } = options;
    const labels = {
      'app.kubernetes.io/name': NAME,
      'app.kubernetes.io/instance': NAME,
      'app.kubernetes.io/version': options.version,
      'app.kubernetes.io/component': 'operator',
      'app.kubernetes.io/part-of': 'skeleton',
      'app.kubernetes.io/managed-by': 'kubectl',
    };
    const selector = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': NAME };
    const object = (kind: string, apiVersion: string, name: string, body: object, namespaced = true) =>
      new ApiObject(this, `${kind}-${name}`, {
        apiVersion,
        kind,
        metadata: { name, ...(namespaced ? { namespace } : {}), labels: { ...labels } },
        ...body,
      });

    object(
      'Namespace',
      'v1',
      namespace,
      // The operator's own pods meet the restricted Pod Security Standard; enforce it.
      {},
      false,
    ).metadata.addLabel('pod-security.kubernetes.io/enforce', 'restricted');
    object('ServiceAccount', 'v1', NAME, { automountServiceAccountToken: true });
    const watched = options.watchNamespaces ?? [];
    object(
      'ClusterRole',
      'rbac.authorization.k8s.io/v1',
      NAME,
      { rules: watched.length > 0 ? OPERATOR_CLUSTER_SCOPED_PERMISSIONS : OPERATOR_CLUSTER_PERMISSIONS },
      false,
    );
    for (const watchedNamespace of watched) {
      const inWatched = (kind: string, body: object) =>
        new ApiObject(this, `${kind}-${NAME}-${watchedNamespace}`, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind,
          metadata: { name: NAME, namespace: watchedNamespace, labels: { ...labels } },
          ...body,
        });
      inWatched('Role', { rules: OPERATOR_WATCHED_NAMESPACE_PERMISSIONS });
      inWatched('RoleBinding', {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAME },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace }],
      });
    }
    object(
      'ClusterRoleBinding',
      'rbac.authorization.k8s.io/v1',
      NAME,
      {
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: NAME },
        subjects: [{ kind: 'ServiceAccount', name: NAME, namespace }],
      },
      false,
    );
    object('Role', 'rbac.authorization.k8s.io/v1', `${NAME}-leader-election`, {
      rules: OPERATOR_NAMESPACE_PERMISSIONS,
    });
    object('RoleBinding', 'rbac.authorization.k8s.io/v1', `${NAME}-leader-election`, {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${NAME}-leader-election` },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace }],
    });
    object('Deployment', 'apps/v1', NAME, {
      spec: {
        // One leads and one waits on the Lease, so losing a node costs seconds, not a reschedule.
        replicas: 2,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: NAME,
            automountServiceAccountToken: true,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10001,
              runAsGroup: 10001,
              fsGroup: 10001,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: 'kubernetes.io/hostname',
                      labelSelector: { matchLabels: selector },
                    },
                  },
                ],
              },
            },
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: selector },
              },
            ],
            // Long enough to drain, release the Lease and exit, so a standby takes over at once.
            terminationGracePeriodSeconds: operatorTerminationGracePeriodSeconds(
              OPERATOR_SHUTDOWN.drainSeconds,
            ),
            containers: [
              {
                name: 'operator',
                image: options.image,
                imagePullPolicy: options.image.includes('@sha256:') ? 'IfNotPresent' : 'Always',
                args: ['--leader-elect', `--metrics-port=${METRICS_PORT}`, `--health-port=${HEALTH_PORT}`],
                env: [
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  // The drain the grace period above is sized for; change both together.
                  { name: 'SHUTDOWN_TIMEOUT_SECONDS', value: String(OPERATOR_SHUTDOWN.drainSeconds) },
                  ...(watched.length > 0 ? [{ name: 'WATCH_NAMESPACES', value: watched.join(',') }] : []),
                ],
                ports: [
                  { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
                  { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
                ],
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'health' },
                  periodSeconds: 10,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: '/readyz', port: 'health' },
                  periodSeconds: 5,
                  failureThreshold: 2,
                },
                resources: {
                  requests: { cpu: '50m', memory: '96Mi', 'ephemeral-storage': '32Mi' },
                  limits: { memory: '256Mi', 'ephemeral-storage': '128Mi' },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    });
    object('Service', 'v1', `${NAME}-metrics`, {
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics', protocol: 'TCP' }],
      },
    });
    object('PodDisruptionBudget', 'policy/v1', NAME, {
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
        selector: { matchLabels: selector },
      },
    });
    object('NetworkPolicy', 'networking.k8s.io/v1', NAME, {
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
            ports: [{ port: 'metrics', protocol: 'TCP' }],
          },
        ],
        // The kube-apiserver's address differs per cluster, so only its ports are pinned.
        egress: [
          {
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
          {
            ports: [
              { port: 443, protocol: 'TCP' },
              { port: 6443, protocol: 'TCP' },
            ],
          },
        ],
      },
    });
  }
}

/** The install's objects as plain JSON, without writing files: for tools and tests that apply them. */
export function renderOperatorInstall(options: OperatorInstallOptions): Record<string, unknown>[] {
  return new OperatorInstall(new App(), 'operator', options).toJson() as Record<string, unknown>[];
}
