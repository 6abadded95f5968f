/** critical pages, warning opens a ticket, info is shown but not routed (monitoring-mixins' levels). */
export type Severity = 'critical' | 'warning' | 'info';

export interface Annotations {
  /** One static sentence: it names the alert in notifications, whichever series fired. */
  summary: string;
  /** Templated with `{{ $labels.* }}` / `{{ $value }}`: what fired, where, and how much. */
  description: string;
}

/** An alert as the rule modules write it: the runbook link is added by `withRunbook`. */
export interface AlertDefinition {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity } & Record<string, string>;
  annotations: Annotations;
}

export interface AlertRule extends AlertDefinition {
  annotations: Annotations & { runbook_url: string };
}

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: (RecordingRule | AlertRule)[];
}
