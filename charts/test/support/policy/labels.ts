import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import {
  type KubernetesObject,
  podTemplateOf,
  type Rule,
  selectorMatches,
  specOf,
  violation,
} from './types.js';

export const REQUIRED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/component',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
] as const;

/** Cluster-wide, release-independent objects are exempt from instance/version. */
export const INSTANCE_VERSION_EXEMPT_KINDS = new Set(['CustomResourceDefinition', 'Namespace']);

/**
 * The version is that of the image an object runs, so it is required only of what runs one: on a
 * Service or a NetworkPolicy it would make every upgrade rewrite an object that did not change.
 */
const runsAnImage = (o: KubernetesObject) => o.kind === 'Pod' || podTemplateOf(o) !== undefined;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function invalidLabelValue(value: unknown): boolean {
  return typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value);
}

export const requiredLabelsRule: Rule = {
  id: 'labels-required',
  description:
    'Every object has the app.kubernetes.io/ name, instance, component, part-of and managed-by labels, and what runs an image its version (CustomResourceDefinition and Namespace: instance and version not required).',
  check(objects) {
    return objects.flatMap((o) => {
      const labels = o.metadata?.labels ?? {};
      const required = REQUIRED_LABELS.filter(
        (l) =>
          (l !== 'app.kubernetes.io/version' || runsAnImage(o)) &&
          (!INSTANCE_VERSION_EXEMPT_KINDS.has(o.kind) ||
            (l !== 'app.kubernetes.io/instance' && l !== 'app.kubernetes.io/version')),
      );
      const missing = required.filter((l) => !labels[l]);
      return missing.length ? [violation(this.id, o, `missing labels ${missing.join(', ')}`)] : [];
    });
  },
};

function labelMaps(o: KubernetesObject): [string, Record<string, string>][] {
  const maps: [string, Record<string, string>][] = [['metadata.labels', o.metadata?.labels ?? {}]];
  const t = podTemplateOf(o);
  if (t) maps.push(['pod template labels', t.labels]);
  return maps;
}

export const labelValuesRule: Rule = {
  id: 'labels-valid',
  description:
    'Label values (object and pod template) are <= 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends.',
  check(objects) {
    return objects.flatMap((o) =>
      labelMaps(o).flatMap(([where, labels]) =>
        Object.entries(labels)
          .filter(([, v]) => invalidLabelValue(v))
          .map(([k, v]) => violation(this.id, o, `${where}: invalid value for ${k}: "${v}"`)),
      ),
    );
  },
};

export const selectorSubsetRule: Rule = {
  id: 'labels-selector-matches-template',
  description: "A workload's selector (when set) matches its own pod template labels.",
  check(objects) {
    return objects.flatMap((o) => {
      const t = podTemplateOf(o);
      const selector = specOf<{ selector: ILabelSelector }>(o).selector;
      if (!t || !selector || o.kind === 'CronJob') return [];
      return selectorMatches(selector, t.labels)
        ? []
        : [violation(this.id, o, 'selector does not match template labels')];
    });
  },
};

export const labelRules: Rule[] = [requiredLabelsRule, labelValuesRule, selectorSubsetRule];
