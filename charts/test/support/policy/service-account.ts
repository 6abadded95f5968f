import { podTemplates, type Rule, violation } from './types.js';

/** The label that marks the operator's own workload (it needs its API token). */
export const OPERATOR_COMPONENT = 'operator';

export const serviceAccountNameRule: Rule = {
  id: 'pod-service-account',
  description: 'Pod templates set serviceAccountName, and not to `default`.',
  check(objects) {
    return podTemplates(objects)
      .filter(({ spec }) => !spec.serviceAccountName || spec.serviceAccountName === 'default')
      .map(({ owner }) => violation(this.id, owner, 'serviceAccountName is unset or "default"'));
  },
};

export const automountTokenRule: Rule = {
  id: 'pod-automount-token',
  description:
    'Pod templates set automountServiceAccountToken: false, unless the workload is labelled app.kubernetes.io/component: operator.',
  check(objects) {
    return podTemplates(objects)
      .filter(({ owner }) => owner.metadata?.labels?.['app.kubernetes.io/component'] !== OPERATOR_COMPONENT)
      .filter(({ spec }) => spec.automountServiceAccountToken !== false)
      .map(({ owner }) => violation(this.id, owner, 'automountServiceAccountToken is not false'));
  },
};

export const serviceAccountRules: Rule[] = [serviceAccountNameRule, automountTokenRule];
