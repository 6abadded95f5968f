import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import test from 'ava';
import { HTTP_DURATION_BUCKETS } from '../../api/src/observability/metric-catalog.js';
import { dashboards } from '../src/generate.js';
import { ALL_VALUES, allPanelQueries, toPromQL } from '../src/queries.js';
import { BURN_RATE_WINDOWS, LATENCY_THRESHOLD_SECONDS, SLO_PERIOD } from '../src/slo.js';
import { knownMetrics, TARGET_LABELS } from './support/known-metrics.js';
import { parsePromQL, type Selector } from './support/promql.js';

/** Checklist D items 4 to 7: every query is valid PromQL over metrics and labels that exist. */

interface Query {
  where: string;
  row: string;
  type: string;
  expr: string;
}

/** Every query with the row and type of its panel, which some rules depend on. */
function queries(): Query[] {
  const found: Query[] = [];
  for (const dashboard of Object.values(dashboards())) {
    let row = '';
    for (const panel of dashboard.panels ?? []) {
      if (panel.type === 'row') {
        row = panel.title ?? '';
        continue;
      }
      for (const target of (panel as Panel).targets ?? []) {
        const expr = (target as { expr?: string }).expr ?? '';
        found.push({ where: `${dashboard.uid} / ${panel.title}: ${expr}`, row, type: panel.type, expr });
      }
    }
  }
  return found;
}

const all = queries();
const RATE_FUNCTIONS = new Set(['rate', 'increase']);

/** Parsed with the rate interval filled in but `$job`/`$namespace` kept, to see where they are used. */
const parse = (expr: string) =>
  parsePromQL(toPromQL(expr, { ...ALL_VALUES, job: '$job', namespace: '$namespace' }));

test('allPanelQueries lists every query of every panel, with its dashboard and panel', (t) => {
  const listed = allPanelQueries();
  t.is(listed.length, all.length);
  t.true(listed.length > 50);
  t.deepEqual(
    listed.map((query) => query.expr),
    all.map((query) => query.expr),
  );
  t.deepEqual(
    new Set(listed.map((query) => query.dashboard)),
    new Set(['skeleton-api', 'skeleton-operator']),
  );
  t.true(listed.every((query) => query.panel.length > 0));
});

test('toPromQL fills in every variable the dashboards use', (t) => {
  for (const { where, expr } of all) {
    t.deepEqual(
      // `$1` and the like are label_replace's capture groups, which Grafana leaves alone.
      [...new Set(expr.match(/\$[A-Za-z_]\w*/g))].filter(
        (name) => !['$__rate_interval', '$job', '$namespace'].includes(name),
      ),
      [],
      `${where}: a variable toPromQL does not know`,
    );
    t.notRegex(toPromQL(expr), /\$[A-Za-z_]/, where);
  }
  t.is(
    toPromQL('rate(x{namespace=~"$namespace", job=~"$job"}[$__rate_interval])'),
    'rate(x{namespace=~".*", job=~".*"}[1m])',
  );
  t.is(
    toPromQL('rate(x{namespace=~"$namespace", job=~"$job"}[$__rate_interval])', {
      rateInterval: '2m',
      job: 'api',
      namespace: 'identity|payments',
    }),
    'rate(x{namespace=~"identity|payments", job=~"api"}[2m])',
  );
});

test('every query parses as PromQL once its variables are filled in', (t) => {
  for (const { where, expr } of all) t.deepEqual(parsePromQL(toPromQL(expr)).errors, [], where);
});

test('the parser used here does reject broken PromQL', (t) => {
  t.notDeepEqual(parsePromQL('sum(rate(x[1m])').errors, []);
  t.notDeepEqual(parsePromQL('rate(x[$__rate_interval])').errors, []);
  t.deepEqual(parsePromQL('sum by (le) (rate(x_bucket{job=~".*"}[1m]))').errors, []);
});

test('every metric a query selects is exported: in a catalog, or a prom-client default metric', async (t) => {
  const known = await knownMetrics();
  for (const { where, expr } of all) {
    for (const selector of parse(expr).selectors)
      t.true(known.has(selector.metric), `${where}: ${selector.metric}`);
  }
});

test('every label a query matches or groups by exists on its metrics', async (t) => {
  const known = await knownMetrics();
  const labelsOf = (selectors: Selector[]) =>
    new Set([
      ...TARGET_LABELS,
      ...selectors.flatMap((selector) => [...(known.get(selector.metric)?.labels ?? [])]),
    ]);
  for (const { where, expr } of all) {
    const parsed = parse(expr);
    for (const selector of parsed.selectors) {
      const labels = labelsOf([selector]);
      for (const label of selector.matchers.keys())
        t.true(labels.has(label), `${where}: ${selector.metric}{${label}}`);
    }
    for (const aggregation of parsed.aggregations) {
      const labels = labelsOf(aggregation.selectors);
      for (const label of aggregation.by)
        t.true(labels.has(label), `${where}: ${aggregation.name} by (${label})`);
    }
  }
});

test('every selector is scoped to $job, and to $namespace unless the namespace label is the metric’s own', async (t) => {
  const known = await knownMetrics();
  for (const { where, expr } of all) {
    for (const selector of parse(expr).selectors) {
      t.is(selector.matchers.get('job'), '=~"$job"', `${where}: ${selector.metric}`);
      const ownNamespace = known.get(selector.metric)?.labels.has('namespace');
      t.is(
        selector.matchers.get('namespace'),
        ownNamespace ? undefined : '=~"$namespace"',
        `${where}: ${selector.metric}`,
      );
    }
  }
});

test('rate windows are $__rate_interval, but for the SLO windows in the SLO row', (t) => {
  const sloWindows = new Set<string>([...BURN_RATE_WINDOWS, SLO_PERIOD]);
  let sloQueries = 0;
  for (const { where, row, expr } of all) {
    const windows = [...expr.matchAll(/\[([^\]]+)\]/g)].map((match) => match[1] as string);
    for (const window of windows) {
      if (row === 'SLOs' && sloWindows.has(window)) sloQueries += 1;
      else t.is(window, '$__rate_interval', where);
    }
  }
  t.true(sloQueries > 0);
});

test('counters only inside rate() or increase(), gauges never there', async (t) => {
  const known = await knownMetrics();
  for (const { where, expr } of all) {
    for (const selector of parse(expr).selectors) {
      const metric = known.get(selector.metric);
      const ranged = selector.range !== undefined && RATE_FUNCTIONS.has(selector.enclosing[0]?.name ?? '');
      if (metric?.type === 'counter' || metric?.type === 'histogram')
        t.true(ranged, `${where}: ${selector.metric}`);
      else t.is(selector.range, undefined, `${where}: ${selector.metric}`);
    }
  }
});

test('histogram buckets are summed by le into histogram_quantile or a heatmap, or select one boundary', async (t) => {
  const known = await knownMetrics();
  for (const { where, type, expr } of all) {
    for (const selector of parse(expr).selectors.filter((candidate) =>
      candidate.metric.endsWith('_bucket'),
    )) {
      const [rate, sum, outer] = selector.enclosing;
      t.is(rate?.name, 'rate', where);
      t.is(sum?.name, 'sum', where);
      const le = selector.matchers.get('le');
      if (le === undefined) {
        t.true(sum?.by.includes('le'), where);
        t.true(outer?.name === 'histogram_quantile' || type === 'heatmap', where);
      } else {
        // One bucket: the requests at or under a boundary, which must be one of the metric's.
        t.false(sum?.by.includes('le'), where);
        t.is(known.get(selector.metric)?.family, 'http_request_duration_seconds', where);
        t.true(HTTP_DURATION_BUCKETS.map((bucket) => `="${bucket}"`).includes(le), `${where}: le${le}`);
      }
    }
  }
});

test('the latency SLO threshold is a bucket boundary of the request histogram', (t) => {
  t.true(HTTP_DURATION_BUCKETS.includes(LATENCY_THRESHOLD_SECONDS));
});
