import * as k8s from '@kubernetes/client-node';
import { onEachBackend } from './support/each-backend.js';
import { clusterWithOperator, exampleApp, isReady, settled, until } from './support/operator-harness.js';

/**
 * Drift: a child changed by someone else (kubectl set image, a label removed, the autoscaler's
 * bounds lowered) is put back within seconds of its watch event; an app left alone costs nothing.
 */

const IMAGE = 'registry.example.com/skeleton-api:1.4.2';
const STRATEGIC = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const JSON_PATCH = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

onEachBackend(
  'a child changed by hand is put back within seconds; a settled app then writes nothing',
  async (t, backend) => {
    const { cluster, namespace, operator } = await clusterWithOperator(t, {}, backend);
    await cluster.createApp(exampleApp('accounts', namespace));
    t.true(await until(async () => isReady(await cluster.getApp(namespace, 'accounts'))), 'Ready');
    const apps = cluster.kubeConfig.makeApiClient(k8s.AppsV1Api);
    const autoscaling = cluster.kubeConfig.makeApiClient(k8s.AutoscalingV2Api);
    const within = (check: () => Promise<boolean>) => until(check, 15_000);

    // kubectl set image deployment/accounts api=...
    await apps.patchNamespacedDeployment(
      {
        name: 'accounts',
        namespace,
        fieldManager: 'kubectl-set',
        body: {
          spec: {
            template: { spec: { containers: [{ name: 'api', image: 'registry.example.com/other:6.6.6' }] } },
          },
        },
      },
      STRATEGIC,
    );
    t.true(
      await within(
        async () =>
          (await apps.readNamespacedDeployment({ name: 'accounts', namespace })).spec?.template.spec
            ?.containers[0]?.image === IMAGE,
      ),
      'the Deployment runs the approved image again',
    );

    // kubectl label service accounts app.kubernetes.io/name-
    await cluster.core.patchNamespacedService(
      {
        name: 'accounts',
        namespace,
        body: [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' }],
      },
      JSON_PATCH,
    );
    t.true(
      await within(
        async () =>
          (await cluster.core.readNamespacedService({ name: 'accounts', namespace })).metadata?.labels?.[
            'app.kubernetes.io/name'
          ] === 'skeleton-api',
      ),
      'the Service has its label again',
    );

    // kubectl patch hpa accounts -p '{"spec":{"maxReplicas":3}}'
    await autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { name: 'accounts', namespace, body: { spec: { maxReplicas: 3 } } },
      MERGE,
    );
    t.true(
      await within(
        async () =>
          (await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'accounts', namespace })).spec
            ?.maxReplicas === 10,
      ),
      'the autoscaler has its bounds again',
    );

    const corrected = await operator.metrics.registry
      .getSingleMetric('skeleton_operator_child_applies_total')
      ?.get();
    const count = (kind: string) =>
      corrected?.values.find(({ labels }) => labels.kind === kind && labels.result === 'drift_corrected')
        ?.value ?? 0;
    // Judged against the operator's cache: where a controller also writes (the Deployment's rollout,
    // the autoscaler's status) the cache may not have seen the hand edit before the apply undid it. The
    // Service has no other writer, so its correction is always counted.
    t.true(count('Service') >= 1, 'the metric counts the Service put back');

    // Settled means every controller is done too: on the control plane the image put back rolls the
    // Deployment out again, and each status write of that rollout is a version the operator looks at.
    t.true(
      await until(async () => {
        const { metadata, status } = await apps.readNamespacedDeployment({ name: 'accounts', namespace });
        return (
          (status?.observedGeneration ?? 0) >= (metadata?.generation ?? 1) &&
          (status?.replicas ?? 0) > 0 &&
          status?.updatedReplicas === status?.replicas &&
          status?.availableReplicas === status?.replicas
        );
      }),
      'the Deployment rolled out',
    );
    t.true(await settled(cluster, operator, 2_000), 'settled');
    cluster.resetWrites();
    operator.resync();
    t.true(await settled(cluster, operator));
    t.is(cluster.writes(), 0, 'a settled app costs no write');
  },
);
