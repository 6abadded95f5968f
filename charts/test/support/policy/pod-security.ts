/** Restricted Pod Security Standard (plus kube-linter/Polaris defaults) for every pod template. */
import type { IContainer } from 'kubernetes-models/v1/Container';
import {
  allContainers,
  type PodTemplate,
  podTemplates,
  type Rule,
  type Violation,
  violation,
} from './types.js';

const MIN_ID = 10000;
const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const ALLOWED_ADD_CAPS = new Set(['NET_BIND_SERVICE']);
/** Volume types allowed by the restricted standard; hostPath is reported by `pod-host-path`. */
export const ALLOWED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

function perTemplate(
  rule: Rule,
  objects: Parameters<Rule['check']>[0],
  fn: (t: PodTemplate) => string[],
): Violation[] {
  return podTemplates(objects).flatMap((t) => fn(t).map((m) => violation(rule.id, t.owner, m)));
}

function perContainer(
  rule: Rule,
  objects: Parameters<Rule['check']>[0],
  fn: (c: IContainer, t: PodTemplate) => string | undefined,
): Violation[] {
  return perTemplate(rule, objects, (t) =>
    allContainers(t.spec).flatMap((c) => {
      const m = fn(c, t);
      return m ? [`container ${c.name}: ${m}`] : [];
    }),
  );
}

export const runAsNonRootRule: Rule = {
  id: 'pod-run-as-non-root',
  description: 'Pod securityContext.runAsNonRoot is true and no container overrides it.',
  check(objects) {
    return [
      ...perTemplate(this, objects, (t) =>
        t.spec.securityContext?.runAsNonRoot === true ? [] : ['pod securityContext.runAsNonRoot is not true'],
      ),
      ...perContainer(this, objects, (c) =>
        c.securityContext?.runAsNonRoot === false ? 'securityContext.runAsNonRoot is false' : undefined,
      ),
    ];
  },
};

export const runAsUserRule: Rule = {
  id: 'pod-run-as-user',
  description: `Pod runAsUser and runAsGroup are set and >= ${MIN_ID} (containers may only override with values >= ${MIN_ID}).`,
  check(objects) {
    const bad = (v: number | undefined, required: boolean) =>
      v === undefined ? required : !Number.isInteger(v) || v < MIN_ID;
    return [
      ...perTemplate(this, objects, ({ spec }) =>
        (['runAsUser', 'runAsGroup'] as const)
          .filter((f) => bad(spec.securityContext?.[f], true))
          .map((f) => `pod securityContext.${f} must be >= ${MIN_ID}`),
      ),
      ...perContainer(this, objects, (c) => {
        const fields = (['runAsUser', 'runAsGroup'] as const).filter((f) =>
          bad(c.securityContext?.[f], false),
        );
        return fields.length ? `securityContext ${fields.join(', ')} must be >= ${MIN_ID}` : undefined;
      }),
    ];
  },
};

export const seccompRule: Rule = {
  id: 'pod-seccomp',
  description: 'Pod seccompProfile.type is RuntimeDefault or Localhost (container overrides too).',
  check(objects) {
    return [
      ...perTemplate(this, objects, ({ spec }) =>
        SECCOMP_TYPES.has(spec.securityContext?.seccompProfile?.type ?? '')
          ? []
          : ['pod securityContext.seccompProfile.type must be RuntimeDefault or Localhost'],
      ),
      ...perContainer(this, objects, (c) => {
        const type = c.securityContext?.seccompProfile?.type;
        return type !== undefined && !SECCOMP_TYPES.has(type) ? `seccompProfile.type ${type}` : undefined;
      }),
    ];
  },
};

export const noPrivilegeEscalationRule: Rule = {
  id: 'container-no-privilege-escalation',
  description: 'Every container sets allowPrivilegeEscalation: false.',
  check(objects) {
    return perContainer(this, objects, (c) =>
      c.securityContext?.allowPrivilegeEscalation === false
        ? undefined
        : 'allowPrivilegeEscalation is not false',
    );
  },
};

export const notPrivilegedRule: Rule = {
  id: 'container-not-privileged',
  description: 'No container is privileged.',
  check(objects) {
    return perContainer(this, objects, (c) =>
      c.securityContext?.privileged === true ? 'privileged' : undefined,
    );
  },
};

export const readOnlyRootFsRule: Rule = {
  id: 'container-read-only-root-fs',
  description: 'Every container sets readOnlyRootFilesystem: true.',
  check(objects) {
    return perContainer(this, objects, (c) =>
      c.securityContext?.readOnlyRootFilesystem === true ? undefined : 'readOnlyRootFilesystem is not true',
    );
  },
};

export const capabilitiesRule: Rule = {
  id: 'container-capabilities',
  description: 'Every container drops ALL capabilities and adds at most NET_BIND_SERVICE.',
  check(objects) {
    return perContainer(this, objects, (c) => {
      const caps = c.securityContext?.capabilities;
      if (!caps?.drop?.includes('ALL')) return 'capabilities.drop does not include ALL';
      const extra = (caps.add ?? []).filter((a) => !ALLOWED_ADD_CAPS.has(a));
      return extra.length ? `capabilities.add not allowed: ${extra.join(', ')}` : undefined;
    });
  },
};

export const hostNamespacesRule: Rule = {
  id: 'pod-host-namespaces',
  description: 'No hostNetwork, hostPID or hostIPC.',
  check(objects) {
    return perTemplate(this, objects, ({ spec }) =>
      (['hostNetwork', 'hostPID', 'hostIPC'] as const)
        .filter((f) => spec[f] === true)
        .map((f) => `${f} is true`),
    );
  },
};

export const hostPathRule: Rule = {
  id: 'pod-host-path',
  description: 'No hostPath volumes.',
  check(objects) {
    return perTemplate(this, objects, ({ spec }) =>
      (spec.volumes ?? [])
        .filter((v) => v.hostPath !== undefined)
        .map((v) => `volume ${v.name} is a hostPath`),
    );
  },
};

export const hostPortRule: Rule = {
  id: 'container-host-port',
  description: 'No container port sets hostPort.',
  check(objects) {
    return perContainer(this, objects, (c) => {
      const ports = (c.ports ?? []).filter((p) => p.hostPort !== undefined);
      return ports.length ? `hostPort set on ${ports.map((p) => p.containerPort).join(', ')}` : undefined;
    });
  },
};

export const volumeTypesRule: Rule = {
  id: 'pod-volume-types',
  description: `Volumes are only ${[...ALLOWED_VOLUME_TYPES].join('/')} (hostPath is reported by pod-host-path).`,
  check(objects) {
    return perTemplate(this, objects, ({ spec }) =>
      (spec.volumes ?? []).flatMap((v) => {
        const types = Object.keys(v).filter(
          (k) => k !== 'name' && k !== 'hostPath' && !ALLOWED_VOLUME_TYPES.has(k),
        );
        return types.length ? [`volume ${v.name} has disallowed type ${types.join(', ')}`] : [];
      }),
    );
  },
};

export const podSecurityRules: Rule[] = [
  runAsNonRootRule,
  runAsUserRule,
  seccompRule,
  noPrivilegeEscalationRule,
  notPrivilegedRule,
  readOnlyRootFsRule,
  capabilitiesRule,
  hostNamespacesRule,
  hostPathRule,
  hostPortRule,
  volumeTypesRule,
];
