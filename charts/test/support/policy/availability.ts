/** Availability rules for Deployments. */

import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IHorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import type { IPodDisruptionBudgetSpec } from 'kubernetes-models/policy/v1/PodDisruptionBudgetSpec';
import {
  byKind,
  type KubernetesObject,
  nsOf,
  podTemplateOf,
  type Rule,
  selectorMatches,
  specOf,
  violation,
} from './types.js';

const HOSTNAME = 'kubernetes.io/hostname';

/** The HPA whose scaleTargetRef is this Deployment, if any. */
export function hpaFor(objects: KubernetesObject[], d: KubernetesObject): KubernetesObject | undefined {
  return byKind(objects, 'HorizontalPodAutoscaler').find((h) => {
    const ref = specOf<IHorizontalPodAutoscalerSpec>(h).scaleTargetRef;
    return nsOf(h) === nsOf(d) && ref?.kind === 'Deployment' && ref.name === d.metadata?.name;
  });
}

/** The replica count the Deployment runs with at minimum (HPA minReplicas wins). */
export function minReplicas(objects: KubernetesObject[], d: KubernetesObject): number {
  const hpa = hpaFor(objects, d);
  if (hpa) return specOf<IHorizontalPodAutoscalerSpec>(hpa).minReplicas ?? 1;
  return specOf<IDeploymentSpec>(d).replicas ?? 1;
}

export const replicasRule: Rule = {
  id: 'deployment-replicas',
  description:
    'Deployments run >= 2 replicas: replicas >= 2, or an HPA with minReplicas >= 2 and then no replicas field.',
  check(objects) {
    return byKind(objects, 'Deployment').flatMap((d) => {
      const hpa = hpaFor(objects, d);
      const replicas = specOf<IDeploymentSpec>(d).replicas;
      if (hpa) {
        const min = specOf<IHorizontalPodAutoscalerSpec>(hpa).minReplicas ?? 1;
        return [
          ...(min < 2 ? [violation(this.id, d, `HPA ${hpa.metadata?.name} minReplicas ${min} < 2`)] : []),
          ...(replicas !== undefined
            ? [violation(this.id, d, 'replicas is set although an HPA manages the Deployment')]
            : []),
        ];
      }
      return (replicas ?? 1) < 2 ? [violation(this.id, d, `replicas ${replicas ?? 1} < 2 and no HPA`)] : [];
    });
  },
};

function percent(v: string): number | undefined {
  const m = /^(\d+)%$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** Whether a PDB lets at least one pod be evicted at the given replica count. */
export function pdbAllowsEviction(spec: Partial<IPodDisruptionBudgetSpec>, replicas: number): boolean {
  const { maxUnavailable, minAvailable } = spec;
  if (maxUnavailable !== undefined) {
    return typeof maxUnavailable === 'number' ? maxUnavailable >= 1 : (percent(maxUnavailable) ?? 0) > 0;
  }
  if (minAvailable !== undefined) {
    return typeof minAvailable === 'number' ? minAvailable < replicas : (percent(minAvailable) ?? 100) < 100;
  }
  return false;
}

export const pdbRule: Rule = {
  id: 'deployment-pdb',
  description:
    'A PDB selects the Deployment pods, allows an eviction (maxUnavailable >= 1 or minAvailable < replicas) and sets unhealthyPodEvictionPolicy.',
  check(objects) {
    return byKind(objects, 'Deployment').flatMap((d) => {
      const labels = podTemplateOf(d)?.labels ?? {};
      const pdbs = byKind(objects, 'PodDisruptionBudget').filter(
        (p) => nsOf(p) === nsOf(d) && selectorMatches(specOf<IPodDisruptionBudgetSpec>(p).selector, labels),
      );
      if (pdbs.length === 0) return [violation(this.id, d, 'no PodDisruptionBudget selects its pods')];
      const replicas = minReplicas(objects, d);
      return pdbs.flatMap((p) => {
        const spec = specOf<IPodDisruptionBudgetSpec>(p);
        const name = p.metadata?.name;
        return [
          ...(pdbAllowsEviction(spec, replicas)
            ? []
            : [violation(this.id, d, `PDB ${name} blocks every eviction at ${replicas} replicas`)]),
          ...(spec.unhealthyPodEvictionPolicy
            ? []
            : [violation(this.id, d, `PDB ${name} does not set unhealthyPodEvictionPolicy`)]),
        ];
      });
    });
  },
};

export const spreadRule: Rule = {
  id: 'deployment-spread',
  description:
    'Pods are spread across nodes: topologySpreadConstraints or podAntiAffinity on kubernetes.io/hostname.',
  check(objects) {
    return byKind(objects, 'Deployment').flatMap((d) => {
      const spec = podTemplateOf(d)?.spec;
      const tsc = (spec?.topologySpreadConstraints ?? []).some((c) => c.topologyKey === HOSTNAME);
      const anti = spec?.affinity?.podAntiAffinity;
      const antiHost =
        (anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(
          (t) => t.topologyKey === HOSTNAME,
        ) ||
        (anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).some(
          (w) => w.podAffinityTerm.topologyKey === HOSTNAME,
        );
      return tsc || antiHost ? [] : [violation(this.id, d, `no spread / anti-affinity on ${HOSTNAME}`)];
    });
  },
};

export const strategyRule: Rule = {
  id: 'deployment-strategy',
  description: 'Deployments use the RollingUpdate strategy (explicitly or by default).',
  check(objects) {
    return byKind(objects, 'Deployment')
      .filter((d) => (specOf<IDeploymentSpec>(d).strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate')
      .map((d) => violation(this.id, d, `strategy ${specOf<IDeploymentSpec>(d).strategy?.type}`));
  },
};

export const availabilityRules: Rule[] = [replicasRule, pdbRule, spreadRule, strategyRule];
