import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard, GridPos, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import test from 'ava';
import { API_METRICS } from '../../api/src/observability/metric-catalog.js';
import { OPERATOR_METRICS } from '../../operator/src/observability/metric-catalog.js';
import { dashboards, renderDashboards } from '../src/generate.js';

/**
 * Checklist D of the ops reference, on the generated JSON: what Grafana will load, not the
 * TypeScript that builds it.
 */

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const all = Object.values(dashboards());
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, meant literally.
const DATASOURCE_UID = '${datasource}';

/** The schema version the pinned SDK emits; a new SDK that changes it needs a look at the output. */
const SCHEMA_VERSION = 42;

/** Panel types Grafana still ships: `graph`, `singlestat` and `table-old` are gone. */
const PANEL_TYPES = new Set(['timeseries', 'stat', 'heatmap']);

type AnyPanel = Panel | RowPanel;
const isRow = (panel: AnyPanel): panel is RowPanel => panel.type === 'row';
const panelsOf = (dashboard: Dashboard) =>
  (dashboard.panels ?? []).filter((panel) => !isRow(panel)) as Panel[];
const name = (dashboard: Dashboard, panel?: AnyPanel) =>
  `${dashboard.uid}${panel ? ` / ${panel.title}` : ''}`;

interface Target {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  exemplar?: boolean;
  datasource?: { type?: string; uid?: string };
}
const targetsOf = (panel: Panel) => (panel.targets ?? []) as Target[];

test('dashboards/dist is what the code generates now (run `npm run generate -w dashboards` after a change)', (t) => {
  const files = renderDashboards();
  t.deepEqual(readdirSync(dist).sort(), Object.keys(files).sort());
  for (const [file, text] of Object.entries(files)) {
    t.is(
      readFileSync(join(dist, file), 'utf8'),
      text,
      `dashboards/dist/${file} is stale: run npm run generate`,
    );
  }
});

test('each dashboard has a stable uid, a title, tags, the pinned schema version and is read-only', (t) => {
  const uids = all.map((dashboard) => dashboard.uid);
  t.deepEqual(uids, ['skeleton-api', 'skeleton-operator']);
  for (const dashboard of all) {
    t.regex(dashboard.uid ?? '', /^[a-z0-9-]{1,40}$/, name(dashboard));
    t.truthy(dashboard.title, name(dashboard));
    t.truthy(dashboard.description, name(dashboard));
    t.true(dashboard.tags?.includes('skeleton'), name(dashboard));
    t.is(dashboard.schemaVersion, SCHEMA_VERSION, name(dashboard));
    t.false(dashboard.editable, `${name(dashboard)}: provisioned dashboards are edited in dashboards/src`);
    t.deepEqual(dashboard.time, { from: 'now-6h', to: 'now' }, name(dashboard));
    t.is(dashboard.refresh, '30s', name(dashboard));
  }
});

test('one Prometheus data source variable, and namespace and job variables that query through it', (t) => {
  for (const dashboard of all) {
    const variables = dashboard.templating?.list ?? [];
    t.deepEqual(
      variables.map((variable) => variable.name),
      ['datasource', 'namespace', 'job'],
      name(dashboard),
    );
    const [datasource, namespace, job] = variables;
    t.like(datasource, { type: 'datasource', query: 'prometheus', label: 'Data Source' }, name(dashboard));
    for (const variable of [namespace, job]) {
      t.like(
        variable,
        {
          type: 'query',
          datasource: { type: 'prometheus', uid: DATASOURCE_UID },
          multi: true,
          includeAll: true,
          allValue: '.+',
          // Values are looked up again when the time range changes, so a new job shows up.
          refresh: 2,
        },
        `${name(dashboard)} $${variable?.name}`,
      );
      t.regex(String(variable?.query), new RegExp(`^label_values\\(.+, ${variable?.name}\\)$`));
    }
    t.regex(
      String(job?.query),
      /\{namespace=~"\$namespace"\}/,
      `${name(dashboard)}: jobs of the chosen namespaces`,
    );
  }
});

test('every panel has a title, a description, a unit and a known type, and reads from $datasource', (t) => {
  for (const dashboard of all) {
    for (const panel of panelsOf(dashboard)) {
      const where = name(dashboard, panel);
      t.true(PANEL_TYPES.has(panel.type), `${where}: type ${panel.type}`);
      t.truthy(panel.title, where);
      t.true((panel.description ?? '').length > 20, `${where}: a description that says what to read`);
      t.notRegex(`${panel.title} ${panel.description}`, /undefined|NaN|\[object/, where);
      t.truthy(panel.fieldConfig?.defaults?.unit, `${where}: unit`);
      if (panel.type === 'heatmap') {
        t.truthy((panel.options as { yAxis?: { unit?: string } }).yAxis?.unit, `${where}: bucket unit`);
      }
      t.deepEqual(panel.datasource, { type: 'prometheus', uid: DATASOURCE_UID }, where);
      const targets = targetsOf(panel);
      t.true(targets.length > 0, `${where}: has queries`);
      t.is(new Set(targets.map((target) => target.refId)).size, targets.length, `${where}: unique refIds`);
      for (const target of targets) {
        t.deepEqual(target.datasource, { type: 'prometheus', uid: DATASOURCE_UID }, where);
        t.truthy(target.expr, where);
        t.truthy(target.legendFormat, `${where}: legend`);
      }
    }
  }
});

test('graphs show a legend', (t) => {
  for (const dashboard of all) {
    for (const panel of panelsOf(dashboard).filter((candidate) => candidate.type === 'timeseries')) {
      t.true(
        (panel.options as { legend?: { showLegend?: boolean } }).legend?.showLegend,
        name(dashboard, panel),
      );
    }
  }
});

test('panel ids are unique, every panel sits in a row, and no two panels overlap', (t) => {
  for (const dashboard of all) {
    const panels = dashboard.panels ?? [];
    const ids = panels.map((panel) => panel.id);
    t.is(new Set(ids).size, ids.length, `${name(dashboard)}: unique ids`);
    t.true(
      ids.every((id) => typeof id === 'number' && id > 0),
      `${name(dashboard)}: ids set`,
    );
    t.is(panels[0]?.type, 'row', `${name(dashboard)}: opens with a row`);
    const boxes: { title?: string; gridPos: GridPos }[] = [];
    for (const panel of panels) {
      const { gridPos } = panel;
      if (!gridPos) {
        t.fail(`${name(dashboard, panel)}: no gridPos`);
        continue;
      }
      t.true(
        gridPos.x >= 0 && gridPos.x + gridPos.w <= 24 && gridPos.w > 0 && gridPos.h > 0,
        name(dashboard, panel),
      );
      for (const other of boxes) {
        const apart =
          gridPos.x >= other.gridPos.x + other.gridPos.w ||
          other.gridPos.x >= gridPos.x + gridPos.w ||
          gridPos.y >= other.gridPos.y + other.gridPos.h ||
          other.gridPos.y >= gridPos.y + gridPos.h;
        t.true(apart, `${name(dashboard, panel)} overlaps ${other.title}`);
      }
      boxes.push({ title: panel.title, gridPos });
    }
  }
});

test('latency graphs link their points to traces (exemplars)', (t) => {
  let latencyPanels = 0;
  for (const dashboard of all) {
    // A stat shows one number, with no points to link.
    for (const panel of panelsOf(dashboard).filter((candidate) => candidate.type !== 'stat')) {
      const targets = targetsOf(panel);
      if (!targets.some((target) => /histogram_quantile\(.*_seconds_bucket/.test(target.expr ?? '')))
        continue;
      if (panel.fieldConfig?.defaults?.unit !== 's') continue;
      latencyPanels += 1;
      t.true(
        targets.every((target) => target.exemplar === true),
        name(dashboard, panel),
      );
    }
  }
  t.true(latencyPanels >= 5);
});

const rowTitles = (dashboard: Dashboard | undefined) =>
  (dashboard?.panels ?? []).filter(isRow).map((row) => row.title);

test('the API dashboard has the rows the issue asks for, and p50/p90/p99 from the request histogram', (t) => {
  const api = dashboards()['skeleton-api.json'];
  t.deepEqual(rowTitles(api), [
    'Requests (rate, errors, duration)',
    'Latency',
    'Authentication',
    'Rate limiting',
    'Database',
    'SLOs',
    'Process',
  ]);
  const percentiles = panelsOf(api as Dashboard).find((panel) => panel.title === 'Latency percentiles');
  t.deepEqual(
    targetsOf(percentiles as Panel).map(
      (target) => target.expr?.match(/^histogram_quantile\(([\d.]+), /)?.[1],
    ),
    ['0.5', '0.9', '0.99'],
  );
  const types = panelsOf(api as Dashboard).map((panel) => panel.type);
  t.true(types.includes('heatmap'));
});

test('the operator dashboard has the rows the issue asks for', (t) => {
  t.deepEqual(rowTitles(dashboards()['skeleton-operator.json']), [
    'Overview',
    'Reconciliation',
    'Work queue',
    'Leader election',
    'SkeletonApps',
    'Process',
  ]);
});

/** A metric someone exports but no panel shows is a blind spot: add a panel for it in dashboards/src. */
test('every metric of a catalog appears on its dashboard', (t) => {
  const queriesOf = (file: string) =>
    panelsOf(dashboards()[file] as Dashboard)
      .flatMap(targetsOf)
      .map((target) => target.expr ?? '')
      .join('\n');
  const cases = [
    { file: 'skeleton-api.json', catalog: API_METRICS },
    { file: 'skeleton-operator.json', catalog: OPERATOR_METRICS },
  ];
  for (const { file, catalog } of cases) {
    const queries = queriesOf(file);
    for (const metric of Object.values(catalog)) {
      t.regex(queries, new RegExp(`\\b${metric.name}(_bucket|_count|_sum)?\\{`), `${file}: ${metric.name}`);
    }
  }
});
