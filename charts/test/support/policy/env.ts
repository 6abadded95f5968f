import { allContainers, podTemplates, type Rule, violation } from './types.js';

/** Env names that carry secrets and must come from secretKeyRef or a volume. */
export const SECRET_ENV_NAME = /(PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL|REDIS_URL)$/i;

/** A value that is clearly a file path (e.g. a mounted secret), not the secret itself. */
const isPath = (v: string) => v.startsWith('/');

export const envDuplicateRule: Rule = {
  id: 'env-no-duplicates',
  description: 'No container declares the same env name twice.',
  check(objects) {
    return podTemplates(objects).flatMap(({ owner, spec }) =>
      allContainers(spec).flatMap((c) => {
        const names = (c.env ?? []).map((e) => e.name);
        const dups = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
        return dups.length
          ? [violation(this.id, owner, `container ${c.name}: duplicate env ${dups.join(', ')}`)]
          : [];
      }),
    );
  },
};

export const envSecretLiteralRule: Rule = {
  id: 'env-no-secret-literal',
  description: `Env vars named like secrets (${SECRET_ENV_NAME.source}) have no literal value unless it is a path; use secretKeyRef or a volume.`,
  check(objects) {
    return podTemplates(objects).flatMap(({ owner, spec }) =>
      allContainers(spec).flatMap((c) =>
        (c.env ?? [])
          .filter((e) => SECRET_ENV_NAME.test(e.name) && typeof e.value === 'string' && !isPath(e.value))
          .map((e) => violation(this.id, owner, `container ${c.name}: env ${e.name} has a literal value`)),
      ),
    );
  },
};

export const envRules: Rule[] = [envDuplicateRule, envSecretLiteralRule];
