import type { IJobSpec } from 'kubernetes-models/batch/v1/JobSpec';
import { byKind, podTemplateOf, type Rule, specOf, violation } from './types.js';

export const jobLimitsRule: Rule = {
  id: 'job-limits',
  description: 'Jobs set ttlSecondsAfterFinished, activeDeadlineSeconds and backoffLimit.',
  check(objects) {
    return byKind(objects, 'Job').flatMap((j) => {
      const spec = specOf<IJobSpec>(j);
      const missing = (['ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit'] as const).filter(
        (f) => spec[f] === undefined,
      );
      return missing.length ? [violation(this.id, j, `missing ${missing.join(', ')}`)] : [];
    });
  },
};

export const jobRestartPolicyRule: Rule = {
  id: 'job-restart-policy',
  description: 'Job pods use restartPolicy Never or OnFailure.',
  check(objects) {
    return byKind(objects, 'Job').flatMap((j) => {
      const policy = podTemplateOf(j)?.spec.restartPolicy;
      return policy === 'Never' || policy === 'OnFailure'
        ? []
        : [violation(this.id, j, `restartPolicy ${policy ?? '<unset>'}`)];
    });
  },
};

export const jobRules: Rule[] = [jobLimitsRule, jobRestartPolicyRule];
