import { App, Chart } from 'cdk8s';
import { addAutoscaler } from './autoscaling.js';
import { addConfigMap } from './config.js';
import { addDeployment } from './deployment.js';
import { addDisruptionBudget } from './disruption.js';
import { addIngress } from './ingress.js';
import type { RenderInput } from './metadata.js';
import { addMigrationJob } from './migration.js';
import { addServiceMonitor } from './monitoring.js';
import { addMigrationNetworkPolicy, addNetworkPolicy } from './network.js';
import { addMetricsService, addService } from './service.js';
import { addServiceAccount } from './service-account.js';
import type { KubernetesObject, RenderContext, SkeletonAppRef } from './types.js';

export { imagePullPolicy, imageVersion, isDigestPinned } from './image.js';
export { commonLabels, selectorLabels } from './labels.js';
export { migrationJobName } from './migration.js';
export type { KubernetesObject, ObjectMeta, OwnerReference, RenderContext, SkeletonAppRef } from './types.js';

/**
 * Everything a SkeletonApp becomes, as plain JSON objects in a stable order (dependencies first: the
 * ServiceAccount and ConfigMap before the pods that use them, the migration before the Deployment).
 * Pure: no I/O, and the same input always gives deep-equal output.
 */
export function renderSkeletonApp(app: SkeletonAppRef, context: RenderContext): KubernetesObject[] {
  const input: RenderInput = { app, context };
  // A fresh App per call: `App.synth()` (which writes files) is never called, only the chart's in-memory
  // synthesis. The chart sets no labels and no namespace of its own; every object names both.
  const chart = new Chart(new App(), app.name);
  addServiceAccount(chart, input);
  addConfigMap(chart, input);
  addMigrationJob(chart, input);
  addDeployment(chart, input);
  addService(chart, input);
  addMetricsService(chart, input);
  addAutoscaler(chart, input);
  addDisruptionBudget(chart, input);
  addNetworkPolicy(chart, input);
  addMigrationNetworkPolicy(chart, input);
  addServiceMonitor(chart, input);
  addIngress(chart, input);
  return chart.toJson() as KubernetesObject[];
}
