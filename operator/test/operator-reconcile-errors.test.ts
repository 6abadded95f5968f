import * as k8s from '@kubernetes/client-node';
import type { ExecutionContext } from 'ava';
import { onEachBackend } from './support/each-backend.js';
import {
  type Cluster,
  clusterWithOperator,
  conditionOf,
  exampleApp,
  type FakeCluster,
  isReady,
  until,
  untilReason,
} from './support/operator-harness.js';

/**
 * A write the API server refuses (RBAC, an admission policy, validation) reaches the app's status,
 * with the server's own words, and clears once the write goes through.
 */

const FROZEN = 'Services are frozen in this namespace';

/**
 * Refuses every write of a Service in `namespace` and returns how to lift it: on the control plane a
 * ValidatingAdmissionPolicy does it, on the fake an injected 403 in the words kube-apiserver uses.
 */
async function freezeServices(cluster: Cluster, namespace: string): Promise<() => Promise<void>> {
  if (cluster.backend === 'kube-fake') {
    const { faults } = (cluster as FakeCluster).fake;
    faults.failNext({
      verb: 'patch',
      path: new RegExp(`/namespaces/${namespace}/services/`),
      code: 403,
      count: 1_000,
      reason: `ValidatingAdmissionPolicy 'freeze-${namespace}' with binding 'freeze-${namespace}' denied request: ${FROZEN}`,
    });
    return async () => faults.clear();
  }
  const admission = cluster.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  const name = `freeze-${namespace}`;
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['services'],
            },
          ],
        },
        validations: [{ expression: 'false', message: FROZEN, reason: 'Forbidden' }],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
      },
    },
  });
  // A policy takes effect a moment after it is stored: wait until a dry run is refused.
  await until(async () => {
    try {
      await cluster.core.createNamespacedService({
        namespace,
        dryRun: 'All',
        body: { metadata: { name: 'probe' }, spec: { ports: [{ port: 80 }] } },
      });
      return false;
    } catch (error) {
      return error instanceof k8s.ApiException && error.code === 403;
    }
  });
  return async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name });
    await admission.deleteValidatingAdmissionPolicy({ name });
  };
}

async function lifted(t: ExecutionContext, lift: () => Promise<void>) {
  let done = false;
  t.teardown(async () => {
    if (!done) await lift();
  });
  return async () => {
    done = true;
    await lift();
  };
}

onEachBackend(
  "a refused write reaches status: Ready False / ReconcileError with the server's message, until it goes through",
  async (t, backend) => {
    const { cluster, namespace } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');

    const lift = await lifted(t, await freezeServices(cluster, namespace));
    await cluster.patchAppSpec(namespace, 'accounts', { service: { port: 8080 } });
    t.true(
      await untilReason(cluster, namespace, 'accounts', 'Ready', 'ReconcileError'),
      'Ready False / ReconcileError',
    );
    const failing = await cluster.getApp(namespace, 'accounts');
    const ready = conditionOf(failing, 'Ready');
    t.is(ready?.status, 'False');
    t.regex(
      ready?.message ?? '',
      /^Applying Service\/accounts failed \(HTTP 403\): services "accounts" is forbidden: /,
    );
    t.true(ready?.message?.endsWith(FROZEN), ready?.message);
    t.is(failing?.status?.phase, 'ReconcileError');
    t.is(failing?.status?.observedGeneration, failing?.metadata.generation);

    await lift();
    t.true(
      await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))),
      'Ready again once the write goes through',
    );
    const service = await cluster.core.readNamespacedService({ name: 'accounts', namespace });
    t.is(service.spec?.ports?.[0]?.port, 8080);
  },
);
