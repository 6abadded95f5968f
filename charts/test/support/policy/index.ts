/**
 * Checklist G as executable rules (adapted from kube-linter, Polaris and
 * kube-score defaults and the restricted Pod Security Standard).
 */
import { availabilityRules } from './availability.js';
import { envRules } from './env.js';
import { imageRules } from './images.js';
import { jobRules } from './jobs.js';
import { labelRules } from './labels.js';
import { networkRules } from './network.js';
import { podSecurityRules } from './pod-security.js';
import { probeRules } from './probes.js';
import { rbacRules } from './rbac.js';
import { resourceRules } from './resources.js';
import { serviceAccountRules } from './service-account.js';
import { serviceRules } from './services.js';
import type { KubernetesObject, Rule, Violation } from './types.js';

export type { KubernetesObject, Rule, Violation } from './types.js';
export { formatViolation } from './types.js';

export const ALL_RULES: readonly Rule[] = [
  ...imageRules,
  ...podSecurityRules,
  ...serviceAccountRules,
  ...resourceRules,
  ...probeRules,
  ...availabilityRules,
  ...networkRules,
  ...serviceRules,
  ...labelRules,
  ...envRules,
  ...jobRules,
  ...rbacRules,
];

/** Runs every rule (or the given subset) over the full set of objects. */
export function checkPolicy(objects: KubernetesObject[], rules: readonly Rule[] = ALL_RULES): Violation[] {
  return rules.flatMap((rule) => rule.check(objects));
}
