import { allContainers, podTemplates, type Rule, violation } from './types.js';

function containerRule(
  id: string,
  description: string,
  missing: (requests: Record<string, unknown>, limits: Record<string, unknown>) => string[],
): Rule {
  return {
    id,
    description,
    check(objects) {
      return podTemplates(objects).flatMap(({ owner, spec }) =>
        allContainers(spec).flatMap((c) => {
          const m = missing(c.resources?.requests ?? {}, c.resources?.limits ?? {});
          return m.length ? [violation(id, owner, `container ${c.name}: missing ${m.join(', ')}`)] : [];
        }),
      );
    },
  };
}

export const requestsRule = containerRule(
  'container-requests',
  'Every container requests cpu and memory.',
  (req) => ['cpu', 'memory'].filter((r) => req[r] === undefined).map((r) => `requests.${r}`),
);

export const memoryLimitRule = containerRule(
  'container-memory-limit',
  'Every container has a memory limit.',
  (_req, lim) => (lim.memory === undefined ? ['limits.memory'] : []),
);

export const ephemeralStorageRule = containerRule(
  'container-ephemeral-storage',
  'Every container requests and limits ephemeral-storage.',
  (req, lim) => [
    ...(req['ephemeral-storage'] === undefined ? ['requests.ephemeral-storage'] : []),
    ...(lim['ephemeral-storage'] === undefined ? ['limits.ephemeral-storage'] : []),
  ],
);

export const resourceRules: Rule[] = [requestsRule, memoryLimitRule, ephemeralStorageRule];
