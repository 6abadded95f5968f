import type { IServiceMonitorSpec } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitorSpec';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import {
  allContainers,
  byKind,
  type KubernetesObject,
  mapSelectorMatches,
  nsOf,
  type PodTemplate,
  podTemplates,
  type Rule,
  selectorMatches,
  specOf,
  violation,
} from './types.js';

const withSelector = (s: KubernetesObject) => specOf<IServiceSpec>(s).type !== 'ExternalName';

function backends(objects: KubernetesObject[], svc: KubernetesObject): PodTemplate[] {
  const selector = specOf<IServiceSpec>(svc).selector;
  return podTemplates(objects).filter(
    (t) => nsOf(t.owner) === nsOf(svc) && mapSelectorMatches(selector, t.labels),
  );
}

export const serviceSelectorRule: Rule = {
  id: 'service-selector',
  description: "A Service's selector matches some pod template's labels.",
  check(objects) {
    return byKind(objects, 'Service')
      .filter((s) => withSelector(s) && backends(objects, s).length === 0)
      .map((s) => violation(this.id, s, 'selector matches no pod template'));
  },
};

export const serviceTargetPortRule: Rule = {
  id: 'service-target-port',
  description: 'Every Service targetPort (name or number; default = port) exists on a selected container.',
  check(objects) {
    return byKind(objects, 'Service').flatMap((s) => {
      const pods = backends(objects, s);
      if (pods.length === 0) return []; // reported by service-selector
      return (specOf<IServiceSpec>(s).ports ?? []).flatMap((p) => {
        const target = p.targetPort ?? p.port;
        const found = pods.some((t) =>
          allContainers(t.spec).some((c) =>
            (c.ports ?? []).some((cp) =>
              typeof target === 'string' ? cp.name === target : cp.containerPort === target,
            ),
          ),
        );
        return found ? [] : [violation(this.id, s, `targetPort ${target} is not a container port`)];
      });
    });
  },
};

export const serviceTypeRule: Rule = {
  id: 'service-type',
  description: 'Services are not of type NodePort.',
  check(objects) {
    return byKind(objects, 'Service')
      .filter((s) => specOf<IServiceSpec>(s).type === 'NodePort')
      .map((s) => violation(this.id, s, 'type NodePort'));
  },
};

export const serviceMonitorRule: Rule = {
  id: 'servicemonitor-target',
  description: 'A ServiceMonitor selects some Service and each endpoint port is a named port of it.',
  check(objects) {
    return byKind(objects, 'ServiceMonitor').flatMap((m) => {
      const spec = specOf<IServiceMonitorSpec>(m);
      const nsSel = spec.namespaceSelector;
      const inNs = (s: KubernetesObject) =>
        nsSel?.any === true || (nsSel?.matchNames ? nsSel.matchNames.includes(nsOf(s)) : nsOf(s) === nsOf(m));
      const services = byKind(objects, 'Service').filter(
        (s) => inNs(s) && selectorMatches(spec.selector, s.metadata?.labels ?? {}),
      );
      if (services.length === 0) return [violation(this.id, m, 'selector matches no Service')];
      return (spec.endpoints ?? []).flatMap((e) => {
        if (e.port === undefined) return [violation(this.id, m, 'endpoint has no named port')];
        const ok = services.some((s) => (specOf<IServiceSpec>(s).ports ?? []).some((p) => p.name === e.port));
        return ok
          ? []
          : [violation(this.id, m, `endpoint port ${e.port} is not a port of the selected Service`)];
      });
    });
  },
};

export const serviceRules: Rule[] = [
  serviceSelectorRule,
  serviceTargetPortRule,
  serviceTypeRule,
  serviceMonitorRule,
];
