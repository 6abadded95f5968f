import * as k8s from '@kubernetes/client-node';
import {
  OPERATOR_CLUSTER_PERMISSIONS,
  OPERATOR_NAMESPACE_PERMISSIONS,
  type PolicyRule,
  renderOperatorInstall,
} from '@skeleton/charts';
import test from 'ava';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';
import {
  exampleApp,
  isReady,
  leaseNameOn,
  operatorConfig,
  operatorNamespaceOn,
  SERVICE_MONITOR_CRD,
  startCluster,
  startControlPlaneCluster,
  startOperator,
  tokenKubeConfig,
  until,
} from './support/operator-harness.js';
import { startRecordingProxy } from './support/recording-proxy.js';

/** The ClusterRole and Role the install ships are enough for everything the operator does, and no wider. */

interface Attributes {
  verb: string;
  group: string;
  /** `resource` or `resource/subresource`. */
  resource: string;
  namespace?: string;
}

/** What kube-apiserver's RBAC authorizer sees of a request; undefined for non-resource URLs (discovery). */
function requestAttributes(method: string, url: string): Attributes | undefined {
  const { pathname, searchParams } = new URL(url, 'http://x');
  const parts = pathname.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length > 2) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length > 3) {
    group = parts[1] as string;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const watch = searchParams.get('watch') === 'true' || searchParams.get('watch') === '1';
  const verbs: Record<string, string> = {
    GET: name === undefined ? (watch ? 'watch' : 'list') : 'get',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name === undefined ? 'deletecollection' : 'delete',
  };
  return {
    verb: verbs[method] ?? method.toLowerCase(),
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    ...(namespace === undefined ? {} : { namespace }),
  };
}

/** What each lifecycle scenario below must have asked for, so the checks cover the writes that matter. */
const EXERCISED = [
  'patch platform.skeleton.dev/skeletonapps/status',
  'create /secrets',
  'watch /secrets',
  'patch apps/deployments',
  'delete /configmaps',
  'create events.k8s.io/events',
  'update coordination.k8s.io/leases',
];

const allows = (rules: readonly PolicyRule[], { verb, group, resource }: Attributes) =>
  rules.some(
    (rule) =>
      rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb),
  );

test('request attributes are read as the RBAC authorizer reads them', (t) => {
  t.deepEqual(requestAttributes('GET', '/apis/apps/v1/namespaces/a/deployments?labelSelector=x'), {
    verb: 'list',
    group: 'apps',
    resource: 'deployments',
    namespace: 'a',
  });
  t.deepEqual(requestAttributes('GET', '/api/v1/configmaps?watch=true'), {
    verb: 'watch',
    group: '',
    resource: 'configmaps',
  });
  t.deepEqual(requestAttributes('PATCH', '/apis/g/v1/namespaces/a/things/n/status'), {
    verb: 'patch',
    group: 'g',
    resource: 'things/status',
    namespace: 'a',
  });
  t.is(requestAttributes('GET', '/apis/apps/v1'), undefined, 'discovery');
  t.is(requestAttributes('GET', '/api/v1'), undefined, 'discovery');
});

test('every request of a full lifecycle is allowed by the shipped ClusterRole and Role', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  const proxy = await startRecordingProxy(cluster.fake.url);
  t.teardown(() => proxy.close());
  await cluster.createNamespace('skeleton-system');
  await cluster.createNamespace('identity');

  const base = operatorConfig().leaderElection;
  const operator = await startOperator(
    { ...cluster, operatorKubeConfig: kubeConfigFor(proxy.url) },
    { config: operatorConfig({ leaderElection: { ...base, enabled: true, retryPeriodSeconds: 0.25 } }) },
  );
  t.teardown(() => operator.stop());
  t.true(await until(() => operator.leading));

  await cluster.createApp(exampleApp('accounts', 'identity', { config: { LOG_LEVEL: 'info' } }));
  t.true(await until(async () => isReady(await cluster.getApp('identity', 'accounts'))));
  await cluster.createCrd(SERVICE_MONITOR_CRD);
  t.true(
    await until(
      async () =>
        (await cluster.objects.list('monitoring.coreos.com/v1', 'ServiceMonitor', 'identity')).items
          .length === 1,
    ),
  );
  await cluster.patchAppSpec('identity', 'accounts', {
    config: null,
    monitoring: { serviceMonitor: { enabled: false } },
  });
  t.true(
    await until(
      async () => !(await cluster.childrenOf('identity', 'accounts')).includes('ConfigMap/accounts-config'),
    ),
  );
  await cluster.deleteApp('identity', 'accounts');
  t.true(await until(async () => (await cluster.getApp('identity', 'accounts')) === undefined));
  await operator.stop();

  const seen = new Set<string>();
  for (const { method, url } of proxy.requests) {
    const attributes = requestAttributes(method, url);
    if (!attributes) continue;
    const key = `${attributes.verb} ${attributes.group}/${attributes.resource}`;
    seen.add(key);
    const inOwnNamespace = attributes.namespace === 'skeleton-system';
    const allowed =
      allows(OPERATOR_CLUSTER_PERMISSIONS, attributes) ||
      (inOwnNamespace && allows(OPERATOR_NAMESPACE_PERMISSIONS, attributes));
    t.true(allowed, `${method} ${url} needs ${key}`);
    // RBAC cannot scope a list or watch by label: the operator must, so it never reads other Secrets.
    if (attributes.resource === 'secrets' && (attributes.verb === 'list' || attributes.verb === 'watch'))
      t.is(
        new URL(url, 'http://operator').searchParams.get('labelSelector'),
        'app.kubernetes.io/managed-by=skeleton-operator',
        `${method} ${url}`,
      );
  }
  t.log([...seen].sort().join('\n'));
  for (const used of EXERCISED) t.true(seen.has(used), `the scenario exercised ${used}`);
});

test('[control-plane] as its own ServiceAccount under the shipped RBAC, a full lifecycle meets no 403', async (t) => {
  // The real authorizer decides here: the operator holds a token of skeleton-system/skeleton-operator,
  // bound to the ClusterRole and Role of charts/dist/operator.yaml, and nothing else.
  const cluster = await startControlPlaneCluster();
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('identity');
  const base = operatorConfig().leaderElection;
  const operator = await startOperator(cluster, {
    config: operatorConfig({
      leaderElection: {
        ...base,
        enabled: true,
        namespace: await operatorNamespaceOn(cluster),
        retryPeriodSeconds: 0.25,
      },
    }),
  });
  t.teardown(() => operator.stop());
  t.true(await until(() => operator.leading));
  const lease = await cluster.kubeConfig
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ name: leaseNameOn(cluster), namespace: 'skeleton-system' });
  t.is(lease.spec?.holderIdentity, 'operator-a', 'the operator holds its Lease, written under its own RBAC');

  await cluster.createApp(exampleApp('accounts', namespace, { config: { LOG_LEVEL: 'info' } }));
  t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))));
  await cluster.patchAppSpec(namespace, 'accounts', { config: null });
  t.true(
    await until(
      async () => !(await cluster.childrenOf(namespace, 'accounts')).includes('ConfigMap/accounts-config'),
    ),
  );
  await cluster.deleteApp(namespace, 'accounts');
  t.true(await until(async () => (await cluster.getApp(namespace, 'accounts')) === undefined));
  await operator.stop();

  const requests = cluster.operatorRequests?.() ?? [];
  const forbidden = requests.filter(({ status }) => status === 401 || status === 403);
  t.deepEqual(forbidden, [], 'no request refused by authentication or RBAC');
  const seen = new Set(
    requests
      .map(({ method, url }) => requestAttributes(method, url))
      .filter((attributes) => attributes !== undefined)
      .map(({ verb, group, resource }) => `${verb} ${group}/${resource}`),
  );
  for (const used of EXERCISED) t.true(seen.has(used), `the scenario exercised ${used}`);
});

const OPERATOR_NAMESPACE = 'skeleton-system';

test('[control-plane] with WATCH_NAMESPACES, a Role in the watched namespace and the cluster-scoped ClusterRole suffice', async (t) => {
  const cluster = await startControlPlaneCluster();
  t.teardown(() => cluster.close());
  const namespace = await cluster.createNamespace('scoped');
  // An account of its own, bound only by what the install renders for this one watched namespace.
  const account = `skeleton-operator-${namespace}`;
  const rbac = cluster.kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  await cluster.core.createNamespacedServiceAccount({
    namespace: OPERATOR_NAMESPACE,
    body: { metadata: { name: account } },
  });
  const install = renderOperatorInstall({
    namespace: OPERATOR_NAMESPACE,
    image: 'registry.example.com/skeleton-operator:0.1.0',
    version: '0.1.0',
    watchNamespaces: [namespace],
  }) as unknown as {
    kind: string;
    metadata: { name: string; namespace?: string };
    rules?: k8s.V1PolicyRule[];
  }[];
  const rulesOf = (kind: string, inNamespace?: string) =>
    install.find((object) => object.kind === kind && object.metadata.namespace === inNamespace)?.rules ?? [];
  const subjects = [{ kind: 'ServiceAccount', name: account, namespace: OPERATOR_NAMESPACE }];
  await rbac.createClusterRole({ body: { metadata: { name: account }, rules: rulesOf('ClusterRole') } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account },
      subjects,
    },
  });
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name: account }, rules: rulesOf('Role', namespace) },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects,
    },
  });
  t.teardown(async () => {
    await rbac.deleteClusterRoleBinding({ name: account }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: account }).catch(() => undefined);
    await cluster.core
      .deleteNamespacedServiceAccount({ name: account, namespace: OPERATOR_NAMESPACE })
      .catch(() => undefined);
  });
  const { status } = await cluster.core.createNamespacedServiceAccountToken({
    name: account,
    namespace: OPERATOR_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 3_600 } },
  });
  const server = cluster.kubeConfig.getCurrentCluster();
  const proxy = await startRecordingProxy(
    server?.server ?? '',
    server?.caData ? Buffer.from(server.caData, 'base64') : undefined,
  );
  t.teardown(() => proxy.close());
  const operatorKubeConfig = tokenKubeConfig(proxy.url, account, status?.token);
  // Without leader election: the Lease's Role is the shipped install's, bound to another account.
  const operator = await startOperator(
    { ...cluster, operatorKubeConfig },
    { config: operatorConfig({ watchNamespaces: [namespace] }) },
  );
  t.teardown(() => operator.stop());

  await cluster.createApp(exampleApp('accounts', namespace, { config: { LOG_LEVEL: 'info' } }));
  t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');
  await cluster.patchAppSpec(namespace, 'accounts', { config: null });
  t.true(
    await until(
      async () => !(await cluster.childrenOf(namespace, 'accounts')).includes('ConfigMap/accounts-config'),
    ),
  );
  await operator.stop();
  t.deepEqual(
    proxy.requests
      .filter(({ status: code }) => code === 401 || code === 403)
      .map(({ method, url }) => `${method} ${url}`),
    [],
    'no request refused by RBAC',
  );
});
