import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { MonitoringSources } from './monitoring-objects.js';

/** The generated dashboards (`dashboards/dist/*.json`) and rules (`alerts/dist/*.yaml`) of the repository. */
export function readMonitoringSources(repositoryRoot: string): MonitoringSources {
  const dashboardsDir = join(repositoryRoot, 'dashboards', 'dist');
  const dashboards = Object.fromEntries(
    readdirSync(dashboardsDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => [file, JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as object]),
  );
  const alertsDir = join(repositoryRoot, 'alerts', 'dist');
  const groups = readdirSync(alertsDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => (parse(readFileSync(join(alertsDir, file), 'utf8')) as { groups: unknown[] }).groups);
  return { dashboards, rules: { groups } };
}
