import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  GRAFANA_DASHBOARD_LABEL,
  monitoringObjects,
  PROMETHEUS_RULE_LABEL,
} from '../src/monitoring/monitoring-objects.js';
import { readMonitoringSources } from '../src/monitoring/read-sources.js';

/** The on-call package as Kubernetes objects: the generated rules and dashboards, unchanged. */

const repository = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sources = readMonitoringSources(repository);
const objects = monitoringObjects('skeleton-system', sources);

test('the rules become one PrometheusRule carrying every generated group, for a ruleSelector to pick', (t) => {
  const rules = objects.filter((object) => object.kind === 'PrometheusRule');
  t.is(rules.length, 1);
  t.deepEqual((rules[0]?.spec as { groups: unknown[] } | undefined)?.groups, sources.rules.groups);
  t.true(sources.rules.groups.length > 0);
  t.is(rules[0]?.metadata.labels?.[PROMETHEUS_RULE_LABEL], 'true');
});

test('each dashboard becomes a ConfigMap the Grafana sidecar loads, holding the generated JSON', (t) => {
  const maps = objects.filter((object) => object.kind === 'ConfigMap');
  t.deepEqual(
    maps.map((map) => map.metadata.name),
    Object.keys(sources.dashboards)
      .sort()
      .map((file) => `${file.replace(/\.json$/, '')}-dashboard`),
  );
  for (const map of maps) {
    t.is(map.metadata.labels?.[GRAFANA_DASHBOARD_LABEL], '1');
    t.is(map.metadata.namespace, 'skeleton-system');
    const [file, json] = Object.entries(map.data as Record<string, string>)[0] ?? [];
    t.deepEqual(JSON.parse(json ?? ''), sources.dashboards[file ?? '']);
  }
});
