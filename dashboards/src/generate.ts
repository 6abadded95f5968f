import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { apiDashboard } from './api-dashboard.js';
import { operatorDashboard } from './operator-dashboard.js';

/** Every dashboard, by the file name it has in dashboards/dist/. */
export function dashboards(): Record<string, Dashboard> {
  return {
    'skeleton-api.json': apiDashboard(),
    'skeleton-operator.json': operatorDashboard(),
  };
}

/** The files of dashboards/dist/: JSON as Grafana imports it, two-space indented as Biome formats it. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dashboards()).map(([name, dashboard]) => [
      name,
      `${JSON.stringify(dashboard, null, 2)}\n`,
    ]),
  );
}
