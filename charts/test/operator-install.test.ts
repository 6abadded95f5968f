import test from 'ava';
import { Testing } from 'cdk8s';
import { OperatorInstall } from '../src/operator/install.js';
import {
  OPERATOR_CLUSTER_PERMISSIONS,
  OPERATOR_CLUSTER_SCOPED_PERMISSIONS,
  OPERATOR_NAMESPACE_PERMISSIONS,
  OPERATOR_WATCHED_NAMESPACE_PERMISSIONS,
} from '../src/operator/permissions.js';
import { OPERATOR_SHUTDOWN, operatorTerminationGracePeriodSeconds } from '../src/operator/shutdown.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace: string }>;
  spec?: Record<string, unknown>;
}

const objects = Testing.synth(
  new OperatorInstall(Testing.app(), 'operator', {
    namespace: 'skeleton-system',
    image: 'registry.example.com/skeleton-operator:0.1.0',
    version: '0.1.0',
  }),
) as K8sObject[];
const byKind = (kind: string) => objects.filter((object) => object.kind === kind);

test('the install holds exactly the objects that run the operator', (t) => {
  t.deepEqual(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort(), [
    'ClusterRole/skeleton-operator',
    'ClusterRoleBinding/skeleton-operator',
    'Deployment/skeleton-operator',
    'Namespace/skeleton-system',
    'NetworkPolicy/skeleton-operator',
    'PodDisruptionBudget/skeleton-operator',
    'Role/skeleton-operator-leader-election',
    'RoleBinding/skeleton-operator-leader-election',
    'Service/skeleton-operator-metrics',
    'ServiceAccount/skeleton-operator',
  ]);
  for (const object of objects.filter(
    (o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind),
  )) {
    t.is(object.metadata.namespace, 'skeleton-system', object.kind);
  }
});

test('RBAC: no wildcard anywhere, and exactly the permissions the operator uses', (t) => {
  const rules = [...(byKind('ClusterRole')[0]?.rules ?? []), ...(byKind('Role')[0]?.rules ?? [])];
  for (const rule of rules) {
    for (const field of [rule.apiGroups, rule.resources, rule.verbs])
      t.false(field.includes('*'), JSON.stringify(rule));
  }
  t.deepEqual(byKind('ClusterRole')[0]?.rules, [...OPERATOR_CLUSTER_PERMISSIONS]);
  t.deepEqual(byKind('Role')[0]?.rules, [...OPERATOR_NAMESPACE_PERMISSIONS]);
  const secrets = rules.filter((rule) => rule.resources.includes('secrets'));
  t.deepEqual(
    secrets.flatMap((rule) => rule.verbs).sort(),
    ['create', 'list', 'update', 'watch'],
    'Secrets are watched (by label), created and replaced, never patched or read by name',
  );
  t.false(rules.some((rule) => rule.resources.some((resource) => /^pods\/(exec|attach)$/.test(resource))));
  const verbsOn = (resource: string) => rules.find((rule) => rule.resources.includes(resource))?.verbs;
  t.deepEqual(verbsOn('skeletonapps'), ['get', 'list', 'watch', 'patch'], 'apps are never updated whole');
  t.deepEqual(verbsOn('skeletonapps/status'), ['patch'], 'status is only merge-patched');
  const leases = byKind('Role')[0]?.rules?.find((rule) => rule.resources.includes('leases'));
  t.deepEqual(leases?.verbs, ['get', 'create', 'update'], 'leader election only, in its own namespace');
});

test('bindings give those roles to the operator account and nobody else', (t) => {
  for (const binding of [...byKind('ClusterRoleBinding'), ...byKind('RoleBinding')]) {
    t.not(binding.roleRef?.name, 'cluster-admin');
    t.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'skeleton-operator', namespace: 'skeleton-system' },
    ]);
  }
});

test('two replicas with leader election, restricted security, probes and a metrics port', (t) => {
  const deployment = byKind('Deployment')[0]?.spec as {
    replicas: number;
    template: {
      spec: { containers: Array<Record<string, unknown>>; securityContext: Record<string, unknown> };
    };
  };
  t.is(deployment.replicas, 2);
  const [container] = deployment.template.spec.containers;
  t.true(((container?.args ?? []) as string[]).includes('--leader-elect'));
  t.like(container?.securityContext as object, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
  });
  t.like(deployment.template.spec.securityContext, {
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  t.truthy(container?.livenessProbe);
  t.truthy(container?.readinessProbe);
  const service = byKind('Service')[0]?.spec as { ports: Array<{ name: string; targetPort: string }> };
  t.deepEqual(
    service.ports.map((port) => port.targetPort),
    ['metrics'],
  );
  t.is(byKind('Namespace')[0]?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  t.is(byKind('ServiceAccount')[0]?.metadata.labels?.['pod-security.kubernetes.io/enforce'], undefined);
});

test('the kubelet kills an operator pod only after it drained, released its Lease and exited itself', (t) => {
  const deployment = byKind('Deployment')[0]?.spec as {
    template: {
      spec: {
        terminationGracePeriodSeconds: number;
        containers: Array<{ env: Array<{ name: string; value?: string }> }>;
      };
    };
  };
  const pod = deployment.template.spec;
  const drain = Number(
    pod.containers[0]?.env.find((variable) => variable.name === 'SHUTDOWN_TIMEOUT_SECONDS')?.value,
  );
  t.is(drain, OPERATOR_SHUTDOWN.drainSeconds, 'the drain the grace period was sized for is stated');
  // The operator exits by itself once the drain and the Lease release's share are over; SIGKILL comes later.
  t.true(pod.terminationGracePeriodSeconds > drain + OPERATOR_SHUTDOWN.releaseSeconds);
  t.is(pod.terminationGracePeriodSeconds, operatorTerminationGracePeriodSeconds(drain));
  t.is(pod.terminationGracePeriodSeconds, 45);
});

test('with watched namespaces, a Role in each and a ClusterRole only for what is cluster-scoped', (t) => {
  const scoped = Testing.synth(
    new OperatorInstall(Testing.app(), 'operator', {
      namespace: 'skeleton-system',
      image: 'registry.example.com/skeleton-operator:0.1.0',
      version: '0.1.0',
      watchNamespaces: ['team-a', 'team-b'],
    }),
  ) as K8sObject[];
  const of = (kind: string) => scoped.filter((object) => object.kind === kind);
  t.deepEqual(of('ClusterRole')[0]?.rules, [...OPERATOR_CLUSTER_SCOPED_PERMISSIONS]);
  t.false(
    (of('ClusterRole')[0]?.rules ?? []).some((rule) => rule.resources.includes('secrets')),
    'no Secret of any other namespace can be listed',
  );
  const watchedRoles = of('Role').filter((role) => role.metadata.name === 'skeleton-operator');
  t.deepEqual(
    watchedRoles.map((role) => role.metadata.namespace),
    ['team-a', 'team-b'],
  );
  for (const role of watchedRoles) t.deepEqual(role.rules, [...OPERATOR_WATCHED_NAMESPACE_PERMISSIONS]);
  t.deepEqual(
    [...OPERATOR_WATCHED_NAMESPACE_PERMISSIONS, ...OPERATOR_CLUSTER_SCOPED_PERMISSIONS],
    [...OPERATOR_CLUSTER_PERMISSIONS],
    'together, exactly what one ClusterRole grants without watched namespaces',
  );
  t.deepEqual(
    of('RoleBinding')
      .filter((binding) => binding.metadata.name === 'skeleton-operator')
      .map((binding) => `${binding.metadata.namespace}: ${binding.roleRef?.kind}/${binding.roleRef?.name}`),
    ['team-a: Role/skeleton-operator', 'team-b: Role/skeleton-operator'],
  );
  const deployment = of('Deployment')[0] as unknown as {
    spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
  };
  t.like(
    deployment.spec.template.spec.containers[0]?.env.find((variable) => variable.name === 'WATCH_NAMESPACES'),
    { value: 'team-a,team-b' },
  );
});
