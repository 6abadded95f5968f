/**
 * One compliant object set that passes every policy rule (and schema validation):
 * a ServiceAccount, Deployment, Service, HPA, PDB, NetworkPolicy, migration Job,
 * ServiceMonitor and the operator-style RBAC objects. `compliantObjects()` returns
 * a fresh deep copy each call so tests can mutate it.
 */
import type { KubernetesObject } from './types.js';

const NS = 'accounts';

export const labels = (component: string) => ({
  'app.kubernetes.io/name': 'accounts-api',
  'app.kubernetes.io/instance': 'accounts',
  'app.kubernetes.io/version': '1.4.2',
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/part-of': 'skeleton',
  'app.kubernetes.io/managed-by': 'skeleton-operator',
});

const selector = { 'app.kubernetes.io/name': 'accounts-api', 'app.kubernetes.io/instance': 'accounts' };
const serverSelector = { ...selector, 'app.kubernetes.io/component': 'server' };

const podSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: 'RuntimeDefault' },
};

const containerSecurityContext = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

const resources = {
  requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
  limits: { memory: '256Mi', 'ephemeral-storage': '128Mi' },
};

const env = [
  { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'accounts-db', key: 'url' } } },
  { name: 'JWT_KEYS_FILE', value: '/var/run/secrets/jwt/keys.json' },
  { name: 'LOG_LEVEL', value: 'info' },
];

const meta = (name: string, component: string) => ({ name, namespace: NS, labels: labels(component) });

function build(): KubernetesObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('accounts', 'server'),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('accounts', 'server'),
      spec: {
        selector: { matchLabels: serverSelector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: labels('server') },
          spec: {
            serviceAccountName: 'accounts',
            automountServiceAccountToken: false,
            securityContext: podSecurityContext,
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: serverSelector },
              },
            ],
            containers: [
              {
                name: 'api',
                image: 'registry.example.com/skeleton-api:1.4.2',
                imagePullPolicy: 'IfNotPresent',
                ports: [
                  { name: 'http', containerPort: 8080, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
                ],
                env,
                resources,
                securityContext: containerSecurityContext,
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 10 },
                startupProbe: { httpGet: { path: '/livez', port: 'http' }, failureThreshold: 30 },
                volumeMounts: [
                  { name: 'jwt', mountPath: '/var/run/secrets/jwt', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'jwt', secret: { secretName: 'accounts-jwt' } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('accounts', 'server'),
      spec: {
        type: 'ClusterIP',
        selector: serverSelector,
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('accounts', 'server'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'accounts' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta('accounts', 'server'),
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
        selector: { matchLabels: serverSelector },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('accounts', 'server'),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }] }],
        egress: [{ ports: [{ port: 5432, protocol: 'TCP' }] }],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('accounts-migrate-1-4-2', 'migration'),
      spec: {
        ttlSecondsAfterFinished: 3600,
        activeDeadlineSeconds: 600,
        backoffLimit: 2,
        template: {
          metadata: { labels: labels('migration') },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: 'accounts',
            automountServiceAccountToken: false,
            securityContext: podSecurityContext,
            containers: [
              {
                name: 'migrate',
                image:
                  'registry.example.com/skeleton-api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
                imagePullPolicy: 'IfNotPresent',
                args: ['migrate'],
                env: [env[0]],
                resources,
                securityContext: containerSecurityContext,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: meta('accounts', 'server'),
      spec: {
        selector: { matchLabels: serverSelector },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'skeleton-operator', labels: labels('operator') },
      rules: [
        {
          apiGroups: ['platform.skeleton.dev'],
          resources: ['skeletonapps', 'skeletonapps/status'],
          verbs: ['get', 'list', 'watch', 'update', 'patch'],
        },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'skeleton-operator', labels: labels('operator') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skeleton-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'skeleton-operator', namespace: 'skeleton-system' }],
    },
  ];
}

/** A fresh, mutable copy of the compliant object set. */
export function compliantObjects(): KubernetesObject[] {
  return structuredClone(build());
}
