import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import type { IRoleRef } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleRef';
import { type KubernetesObject, type Rule, type Violation, violation } from './types.js';

const ROLE_KINDS = new Set(['Role', 'ClusterRole']);
const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

function policyRules(objects: KubernetesObject[]): { role: KubernetesObject; rule: IPolicyRule }[] {
  return objects
    .filter((o) => ROLE_KINDS.has(o.kind))
    .flatMap((role) => ((role.rules as IPolicyRule[] | undefined) ?? []).map((rule) => ({ role, rule })));
}

export const rbacWildcardRule: Rule = {
  id: 'rbac-no-wildcards',
  description: 'No `*` in RBAC verbs, resources or apiGroups.',
  check(objects) {
    return policyRules(objects).flatMap(({ role, rule }) =>
      (['verbs', 'resources', 'apiGroups'] as const)
        .filter((f) => (rule[f] ?? []).some((v) => v.includes('*')))
        .map((f) => violation(this.id, role, `wildcard in ${f}: ${(rule[f] ?? []).join(', ')}`)),
    );
  },
};

export const rbacClusterAdminRule: Rule = {
  id: 'rbac-no-cluster-admin',
  description: 'No binding to the cluster-admin ClusterRole.',
  check(objects) {
    return objects
      .filter((o) => BINDING_KINDS.has(o.kind))
      .filter((b) => {
        const ref = b.roleRef as IRoleRef | undefined;
        return ref?.kind === 'ClusterRole' && ref.name === 'cluster-admin';
      })
      .map((b) => violation(this.id, b, 'binds cluster-admin'));
  },
};

export const rbacPodExecRule: Rule = {
  id: 'rbac-no-pod-exec',
  description: 'No access to pods/exec or pods/attach.',
  check(objects) {
    return policyRules(objects).flatMap(({ role, rule }) =>
      (rule.resources ?? [])
        .filter((r) => r === 'pods/exec' || r === 'pods/attach')
        .map((r) => violation(this.id, role, `grants ${r}`)),
    );
  },
};

export const rbacSecretsListRule: Rule = {
  id: 'rbac-no-cluster-secret-list',
  description:
    "No ClusterRole grants list/watch on secrets. The one exception is the operator's own role: it watches " +
    'only the key-set Secrets it created, by label (RBAC cannot scope by label; its tests check that every ' +
    'Secret list and watch it sends carries the selector).',
  check(objects) {
    const out: Violation[] = [];
    for (const { role, rule } of policyRules(objects)) {
      if (role.kind !== 'ClusterRole' || !(rule.resources ?? []).includes('secrets')) continue;
      if (role.metadata?.labels?.['app.kubernetes.io/component'] === 'operator') continue;
      if (!(rule.apiGroups ?? ['']).includes('')) continue;
      const verbs = rule.verbs.filter((v) => v === 'list' || v === 'watch');
      if (verbs.length)
        out.push(violation(this.id, role, `grants ${verbs.join('/')} on secrets cluster-wide`));
    }
    return out;
  },
};

export const rbacRules: Rule[] = [
  rbacWildcardRule,
  rbacClusterAdminRule,
  rbacPodExecRule,
  rbacSecretsListRule,
];
