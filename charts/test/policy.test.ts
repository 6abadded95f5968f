import test from 'ava';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IHorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import type { IPodDisruptionBudgetSpec } from 'kubernetes-models/policy/v1/PodDisruptionBudgetSpec';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { IRoleRef } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleRef';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import { compliantObjects } from './support/policy/fixtures.js';
import { imageTag } from './support/policy/images.js';
import { ALL_RULES, checkPolicy, formatViolation, type KubernetesObject } from './support/policy/index.js';
import { validateObject } from './support/validate-objects.js';

type Objs = KubernetesObject[];

function obj(objs: Objs, kind: string): KubernetesObject {
  const o = objs.find((x) => x.kind === kind);
  if (!o) throw new Error(`fixture has no ${kind}`);
  return o;
}
function spec<T>(objs: Objs, kind: string): T {
  return obj(objs, kind).spec as T;
}
function pod(objs: Objs, kind = 'Deployment'): IPodSpec {
  const s = spec<IDeploymentSpec>(objs, kind).template.spec;
  if (!s) throw new Error('no pod spec');
  return s;
}
function ctr(objs: Objs, kind = 'Deployment'): IContainer {
  const c = pod(objs, kind).containers[0];
  if (!c) throw new Error('no container');
  return c;
}
function sc(objs: Objs, kind = 'Deployment') {
  const c = ctr(objs, kind);
  c.securityContext ??= {};
  return c.securityContext;
}
function podSc(objs: Objs, kind = 'Deployment') {
  const p = pod(objs, kind);
  p.securityContext ??= {};
  return p.securityContext;
}
function clusterRoleRules(objs: Objs): IPolicyRule[] {
  return obj(objs, 'ClusterRole').rules as IPolicyRule[];
}

const firedRules = (objs: Objs) => [...new Set(checkPolicy(objs).map((v) => v.ruleId))].sort();

test('the compliant fixture set passes every policy rule', (t) => {
  t.deepEqual(checkPolicy(compliantObjects()).map(formatViolation), []);
});

test('the compliant fixture set passes strict schema validation', (t) => {
  t.deepEqual(compliantObjects().flatMap(validateObject), []);
});

test('rule ids are unique and documented', (t) => {
  const ids = ALL_RULES.map((r) => r.id);
  t.is(new Set(ids).size, ids.length);
  for (const r of ALL_RULES) t.true(r.description.length > 10, r.id);
});

test('imageTag parses tags, digests and registry ports', (t) => {
  t.deepEqual(imageTag('registry:5000/app'), { digest: false });
  t.deepEqual(imageTag('registry:5000/app:1.2'), { tag: '1.2', digest: false });
  t.deepEqual(imageTag('app@sha256:abc'), { digest: true });
});

/** For each rule: mutations of the compliant set that must trigger exactly that rule. */
const cases: [ruleId: string, name: string, mutate: (o: Objs) => void][] = [
  [
    'image-tag',
    'latest tag',
    (o) => {
      ctr(o).image = 'registry.example.com/skeleton-api:latest';
    },
  ],
  [
    'image-tag',
    'no tag',
    (o) => {
      ctr(o, 'Job').image = 'registry.example.com/skeleton-api';
    },
  ],
  ['image-pull-policy', 'unset', (o) => void delete ctr(o).imagePullPolicy],
  [
    'pod-run-as-non-root',
    'pod false',
    (o) => {
      podSc(o).runAsNonRoot = false;
    },
  ],
  [
    'pod-run-as-non-root',
    'container override',
    (o) => {
      sc(o, 'Job').runAsNonRoot = false;
    },
  ],
  [
    'pod-run-as-user',
    'low uid',
    (o) => {
      podSc(o).runAsUser = 1000;
    },
  ],
  ['pod-run-as-user', 'no gid', (o) => void delete podSc(o, 'Job').runAsGroup],
  [
    'pod-seccomp',
    'Unconfined',
    (o) => {
      podSc(o).seccompProfile = { type: 'Unconfined' };
    },
  ],
  [
    'container-no-privilege-escalation',
    'true',
    (o) => {
      sc(o).allowPrivilegeEscalation = true;
    },
  ],
  [
    'container-not-privileged',
    'privileged',
    (o) => {
      sc(o).privileged = true;
    },
  ],
  [
    'container-read-only-root-fs',
    'writable',
    (o) => {
      sc(o, 'Job').readOnlyRootFilesystem = false;
    },
  ],
  [
    'container-capabilities',
    'no drop ALL',
    (o) => {
      sc(o).capabilities = { drop: ['NET_RAW'] };
    },
  ],
  [
    'container-capabilities',
    'add SYS_ADMIN',
    (o) => {
      sc(o).capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] };
    },
  ],
  [
    'pod-host-namespaces',
    'hostNetwork',
    (o) => {
      pod(o).hostNetwork = true;
    },
  ],
  [
    'pod-host-namespaces',
    'hostPID',
    (o) => {
      pod(o, 'Job').hostPID = true;
    },
  ],
  ['pod-host-path', 'hostPath', (o) => void pod(o).volumes?.push({ name: 'h', hostPath: { path: '/var' } })],
  [
    'container-host-port',
    'hostPort',
    (o) =>
      void ctr(o).ports?.forEach((p) => {
        p.hostPort = p.containerPort;
      }),
  ],
  [
    'pod-volume-types',
    'nfs',
    (o) => void pod(o).volumes?.push({ name: 'n', nfs: { server: 'nfs', path: '/x' } }),
  ],
  ['pod-service-account', 'unset', (o) => void delete pod(o).serviceAccountName],
  [
    'pod-service-account',
    'default',
    (o) => {
      pod(o, 'Job').serviceAccountName = 'default';
    },
  ],
  [
    'pod-automount-token',
    'true',
    (o) => {
      pod(o).automountServiceAccountToken = true;
    },
  ],
  [
    'container-requests',
    'no cpu request',
    (o) => {
      ctr(o).resources = {
        requests: { memory: '1Gi', 'ephemeral-storage': '1Gi' },
        limits: { memory: '1Gi', 'ephemeral-storage': '1Gi' },
      };
    },
  ],
  [
    'container-memory-limit',
    'no memory limit',
    (o) => {
      ctr(o).resources = {
        requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' },
        limits: { 'ephemeral-storage': '1Gi' },
      };
    },
  ],
  [
    'container-ephemeral-storage',
    'no ephemeral limit',
    (o) => {
      ctr(o, 'Job').resources = {
        requests: { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' },
        limits: { memory: '1Gi' },
      };
    },
  ],
  ['probes-present', 'no liveness', (o) => void delete ctr(o).livenessProbe],
  [
    'probes-distinct',
    'identical',
    (o) => {
      ctr(o).livenessProbe = structuredClone(ctr(o).readinessProbe);
    },
  ],
  [
    'probes-port',
    'unknown named port',
    (o) => {
      ctr(o).readinessProbe = { httpGet: { path: '/r', port: 'admin' } };
    },
  ],
  [
    'probes-port',
    'numeric readiness port',
    (o) => {
      ctr(o).readinessProbe = { httpGet: { path: '/r', port: 8080 } };
    },
  ],
  [
    'probes-port',
    'startup port missing',
    (o) => {
      ctr(o).startupProbe = { tcpSocket: { port: 7000 } };
    },
  ],
  [
    'deployment-replicas',
    'HPA min 1',
    (o) => {
      spec<IHorizontalPodAutoscalerSpec>(o, 'HorizontalPodAutoscaler').minReplicas = 1;
    },
  ],
  [
    'deployment-replicas',
    'replicas next to HPA',
    (o) => {
      spec<IDeploymentSpec>(o, 'Deployment').replicas = 3;
    },
  ],
  [
    'deployment-replicas',
    'no HPA, one replica',
    (o) => {
      o.splice(o.indexOf(obj(o, 'HorizontalPodAutoscaler')), 1);
      spec<IPodDisruptionBudgetSpec>(o, 'PodDisruptionBudget').maxUnavailable = 1;
    },
  ],
  ['deployment-pdb', 'no PDB', (o) => void o.splice(o.indexOf(obj(o, 'PodDisruptionBudget')), 1)],
  [
    'deployment-pdb',
    'minAvailable = replicas',
    (o) => {
      const s = spec<IPodDisruptionBudgetSpec>(o, 'PodDisruptionBudget');
      delete s.maxUnavailable;
      s.minAvailable = 2;
    },
  ],
  [
    'deployment-pdb',
    'no eviction policy',
    (o) => void delete spec<IPodDisruptionBudgetSpec>(o, 'PodDisruptionBudget').unhealthyPodEvictionPolicy,
  ],
  [
    'deployment-spread',
    'zone only',
    (o) => {
      pod(o).topologySpreadConstraints = [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
      ];
    },
  ],
  [
    'deployment-strategy',
    'Recreate',
    (o) => {
      spec<IDeploymentSpec>(o, 'Deployment').strategy = { type: 'Recreate' };
    },
  ],
  [
    'networkpolicy-coverage',
    'policy only covers the server',
    (o) => {
      spec<INetworkPolicySpec>(o, 'NetworkPolicy').podSelector = {
        matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'NotIn', values: ['migration'] }],
      };
    },
  ],
  [
    'networkpolicy-selects-pods',
    'extra policy selecting nothing',
    (o) => {
      const np = structuredClone(obj(o, 'NetworkPolicy'));
      (np.spec as INetworkPolicySpec).podSelector = { matchLabels: { 'app.kubernetes.io/name': 'nobody' } };
      o.push(np);
    },
  ],
  [
    'service-selector',
    'selector matches nothing',
    (o) => {
      spec<IServiceSpec>(o, 'Service').selector = { 'app.kubernetes.io/name': 'nobody' };
    },
  ],
  [
    'service-target-port',
    'unknown name',
    (o) => void spec<IServiceSpec>(o, 'Service').ports?.push({ name: 'x', port: 81, targetPort: 'admin' }),
  ],
  [
    'service-target-port',
    'unknown number',
    (o) => void spec<IServiceSpec>(o, 'Service').ports?.push({ name: 'y', port: 7000 }),
  ],
  [
    'service-type',
    'NodePort',
    (o) => {
      spec<IServiceSpec>(o, 'Service').type = 'NodePort';
    },
  ],
  [
    'servicemonitor-target',
    'selects no Service',
    (o) => {
      spec<{ selector: object }>(o, 'ServiceMonitor').selector = { matchLabels: { x: 'y' } };
    },
  ],
  [
    'servicemonitor-target',
    'unknown endpoint port',
    (o) => {
      spec<{ endpoints: object[] }>(o, 'ServiceMonitor').endpoints = [{ port: 'prom' }];
    },
  ],
  [
    'labels-required',
    'missing part-of',
    (o) => void delete obj(o, 'ServiceAccount').metadata?.labels?.['app.kubernetes.io/part-of'],
  ],
  [
    'labels-required',
    'a Deployment without the version of the image it runs',
    (o) => void delete obj(o, 'Deployment').metadata?.labels?.['app.kubernetes.io/version'],
  ],
  [
    'labels-valid',
    'bad value',
    (o) => {
      const l = obj(o, 'Service').metadata?.labels;
      if (l) l['app.kubernetes.io/version'] = '1.4.2+build/7';
    },
  ],
  [
    'labels-valid',
    'too long',
    (o) => {
      const l = obj(o, 'ServiceAccount').metadata?.labels;
      if (l) l['app.kubernetes.io/instance'] = 'a'.repeat(64);
    },
  ],
  [
    'labels-selector-matches-template',
    'selector not in template',
    (o) => {
      const s = spec<IDeploymentSpec>(o, 'Deployment');
      s.selector = { matchLabels: { ...s.selector.matchLabels, tier: 'api' } };
      // keep the template selected by PDB/Service/NetworkPolicy (they do not use `tier`)
    },
  ],
  ['env-no-duplicates', 'duplicate', (o) => void ctr(o).env?.push({ name: 'LOG_LEVEL', value: 'debug' })],
  [
    'env-no-secret-literal',
    'literal password',
    (o) => void ctr(o).env?.push({ name: 'DB_PASSWORD', value: 'hunter2' }),
  ],
  [
    'env-no-secret-literal',
    'literal DATABASE_URL',
    (o) => {
      ctr(o, 'Job').env = [{ name: 'DATABASE_URL', value: 'postgres://u:p@db/x' }];
    },
  ],
  ['job-limits', 'no ttl', (o) => void delete spec<IJobSpec>(o, 'Job').ttlSecondsAfterFinished],
  ['job-limits', 'no backoffLimit', (o) => void delete spec<IJobSpec>(o, 'Job').backoffLimit],
  [
    'job-restart-policy',
    'Always',
    (o) => {
      pod(o, 'Job').restartPolicy = 'Always';
    },
  ],
  [
    'rbac-no-wildcards',
    'verbs *',
    (o) => void clusterRoleRules(o).push({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }),
  ],
  [
    'rbac-no-wildcards',
    'apiGroups *',
    (o) => void clusterRoleRules(o).push({ apiGroups: ['*'], resources: ['configmaps'], verbs: ['get'] }),
  ],
  [
    'rbac-no-cluster-admin',
    'binds cluster-admin',
    (o) => {
      (obj(o, 'ClusterRoleBinding').roleRef as IRoleRef).name = 'cluster-admin';
    },
  ],
  [
    'rbac-no-pod-exec',
    'pods/exec',
    (o) => void clusterRoleRules(o).push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }),
  ],
  [
    'rbac-no-cluster-secret-list',
    "list secrets in a ClusterRole other than the operator's",
    (o) => {
      const labels = obj(o, 'ClusterRole').metadata?.labels;
      if (labels) labels['app.kubernetes.io/component'] = 'reporting';
      clusterRoleRules(o).push({ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] });
    },
  ],
];

for (const [ruleId, name, mutate] of cases) {
  test(`${ruleId}: catches ${name}`, (t) => {
    const objs = compliantObjects();
    mutate(objs);
    t.deepEqual(firedRules(objs), [ruleId], checkPolicy(objs).map(formatViolation).join('\n'));
  });
}

test('every rule has at least one violating case', (t) => {
  const covered = new Set(cases.map(([id]) => id));
  t.deepEqual(
    ALL_RULES.map((r) => r.id).filter((id) => !covered.has(id)),
    [],
  );
});

test("the operator's own ClusterRole may watch Secrets: it selects its key sets by label", (t) => {
  const objs = compliantObjects();
  clusterRoleRules(objs).push({ apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] });
  t.false(firedRules(objs).includes('rbac-no-cluster-secret-list'));
});

test('the operator component may automount its token', (t) => {
  const objs = compliantObjects();
  const d = obj(objs, 'Deployment');
  if (d.metadata?.labels) d.metadata.labels['app.kubernetes.io/component'] = 'operator';
  pod(objs).automountServiceAccountToken = true;
  t.false(firedRules(objs).includes('pod-automount-token'));
});

test('a secret-named env var holding a path is allowed', (t) => {
  const objs = compliantObjects();
  ctr(objs).env?.push({ name: 'TLS_KEY', value: '/etc/tls/tls.key' });
  t.deepEqual(checkPolicy(objs), []);
});

test('Deployment with replicas >= 2 and no HPA passes availability', (t) => {
  const objs = compliantObjects();
  objs.splice(objs.indexOf(obj(objs, 'HorizontalPodAutoscaler')), 1);
  spec<IDeploymentSpec>(objs, 'Deployment').replicas = 2;
  t.deepEqual(checkPolicy(objs).map(formatViolation), []);
});
