import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { CounterName } from './metrics.js';
import { DATASOURCE, type PanelBuilder } from './panels.js';

/** The tag both dashboards carry; their link menu lists every dashboard with it. */
const FAMILY_TAG = 'skeleton';

export interface Row {
  title: string;
  panels: readonly PanelBuilder[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: readonly string[];
  /** A metric every instance of the service exports, for listing its namespaces and jobs. */
  inventoryMetric: CounterName;
  rows: readonly Row[];
}

/**
 * A multi-select label filter, as grafana/dashboard-linter expects of `job`: "All" sends `.+`, so
 * series without the label stay out rather than slipping in under an empty value.
 */
function labelVariable(label: string, query: string) {
  return new QueryVariableBuilder(label)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

/**
 * A provisioned dashboard: read-only (its source is the TypeScript here), the last 6 hours
 * refreshed every 30 s, panels numbered in layout order.
 */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([FAMILY_TAG, ...spec.tags])
    .readonly()
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .link(
      new DashboardLinkBuilder('Skeleton dashboards')
        .type(DashboardLinkType.Dashboards)
        .tags([FAMILY_TAG])
        .asDropdown(true)
        .keepTime(true)
        // Not the variables: the API's job is not the operator's.
        .includeVars(false),
    )
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data Source').type('prometheus'))
    .withVariable(labelVariable('namespace', `label_values(${spec.inventoryMetric}, namespace)`))
    .withVariable(
      labelVariable('job', `label_values(${spec.inventoryMetric}{namespace=~"$namespace"}, job)`),
    );
  let id = 0;
  for (const row of spec.rows) {
    id += 1;
    builder.withRow(new RowBuilder(row.title).id(id));
    for (const panel of row.panels) {
      id += 1;
      panel.id(id);
      builder.withPanel(panel);
    }
  }
  return builder.build();
}
