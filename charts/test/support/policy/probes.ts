/** Probe rules for Deployments (long-running servers). */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { byKind, podTemplateOf, type Rule, type Violation, violation } from './types.js';

function deploymentContainers(objects: Parameters<Rule['check']>[0]) {
  return byKind(objects, 'Deployment').flatMap((d) =>
    (podTemplateOf(d)?.spec.containers ?? []).map((c) => ({ owner: d, c })),
  );
}

function probePort(p: IProbe): string | number | undefined {
  return p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
}

function portExists(c: IContainer, port: string | number): boolean {
  return (c.ports ?? []).some((p) => (typeof port === 'string' ? p.name === port : p.containerPort === port));
}

export const probesPresentRule: Rule = {
  id: 'probes-present',
  description: 'Every Deployment container has a readinessProbe and a livenessProbe.',
  check(objects) {
    return deploymentContainers(objects).flatMap(({ owner, c }) =>
      (['readinessProbe', 'livenessProbe'] as const)
        .filter((p) => !c[p])
        .map((p) => violation(this.id, owner, `container ${c.name}: no ${p}`)),
    );
  },
};

export const probesDistinctRule: Rule = {
  id: 'probes-distinct',
  description: 'Readiness and liveness probes are not identical.',
  check(objects) {
    return deploymentContainers(objects)
      .filter(
        ({ c }) => c.readinessProbe && JSON.stringify(c.readinessProbe) === JSON.stringify(c.livenessProbe),
      )
      .map(({ owner, c }) =>
        violation(this.id, owner, `container ${c.name}: readiness and liveness are identical`),
      );
  },
};

export const probePortRule: Rule = {
  id: 'probes-port',
  description:
    'Readiness/liveness network probes target a named container port that exists; a startup probe port (name or number) exists. exec probes have no port.',
  check(objects) {
    const out: Violation[] = [];
    for (const { owner, c } of deploymentContainers(objects)) {
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const probe = c[kind];
        const port = probe ? probePort(probe) : undefined;
        if (port === undefined) continue;
        if (kind !== 'startupProbe' && typeof port !== 'string') {
          out.push(
            violation(this.id, owner, `container ${c.name}: ${kind} uses port number ${port}, not a name`),
          );
        } else if (!portExists(c, port)) {
          out.push(
            violation(this.id, owner, `container ${c.name}: ${kind} port ${port} is not a container port`),
          );
        }
      }
    }
    return out;
  },
};

export const probeRules: Rule[] = [probesPresentRule, probesDistinctRule, probePortRule];
