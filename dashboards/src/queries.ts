import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboards } from './generate.js';

export interface PanelQuery {
  /** The dashboard's uid. */
  dashboard: string;
  panel: string;
  expr: string;
}

/** Every query of every panel, as Grafana would send it before filling in the variables. */
export function allPanelQueries(): PanelQuery[] {
  return Object.values(dashboards()).flatMap((dashboard) =>
    (dashboard.panels ?? [])
      .filter((panel): panel is Panel => panel.type !== 'row')
      .flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({
          dashboard: dashboard.uid ?? '',
          panel: panel.title ?? '',
          // Every target is a Prometheus query (panels.ts builds nothing else).
          expr: String((target as { expr?: unknown }).expr),
        })),
      ),
  );
}

export interface VariableValues {
  /** What `$__rate_interval` becomes: Grafana makes it at least four scrape intervals. */
  rateInterval: string;
  /** Regexes for `$job` and `$namespace`, as Grafana sends a multi-value selection. */
  job: string;
  namespace: string;
}

/** What selecting "All" everywhere at a 15 s scrape interval sends, but matching series without the label too. */
export const ALL_VALUES: VariableValues = { rateInterval: '1m', job: '.*', namespace: '.*' };

/**
 * A dashboard query as plain PromQL, to run against Prometheus without Grafana: the variables the
 * dashboards use replaced by `values`.
 */
export function toPromQL(expr: string, values: VariableValues = ALL_VALUES): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval)
    .replaceAll('$namespace', values.namespace)
    .replaceAll('$job', values.job);
}
