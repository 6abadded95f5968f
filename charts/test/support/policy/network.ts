import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { byKind, nsOf, podTemplates, type Rule, selectorMatches, specOf, violation } from './types.js';

export const podsCoveredRule: Rule = {
  id: 'networkpolicy-coverage',
  description:
    'Every pod template (the operator included) is selected by some NetworkPolicy in its namespace.',
  check(objects) {
    const policies = byKind(objects, 'NetworkPolicy');
    return podTemplates(objects)
      .filter(
        (t) =>
          !policies.some(
            (p) =>
              nsOf(p) === nsOf(t.owner) &&
              selectorMatches(specOf<INetworkPolicySpec>(p).podSelector, t.labels),
          ),
      )
      .map((t) => violation(this.id, t.owner, 'no NetworkPolicy selects its pods'));
  },
};

export const policySelectsPodsRule: Rule = {
  id: 'networkpolicy-selects-pods',
  description: 'Every NetworkPolicy selects at least one pod template in its namespace.',
  check(objects) {
    const templates = podTemplates(objects);
    return byKind(objects, 'NetworkPolicy')
      .filter(
        (p) =>
          !templates.some(
            (t) =>
              nsOf(p) === nsOf(t.owner) &&
              selectorMatches(specOf<INetworkPolicySpec>(p).podSelector, t.labels),
          ),
      )
      .map((p) => violation(this.id, p, 'podSelector selects no pod template'));
  },
};

export const networkRules: Rule[] = [podsCoveredRule, policySelectsPodsRule];
