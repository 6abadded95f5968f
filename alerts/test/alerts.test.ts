import { existsSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { RUNBOOK_BASE_URL } from '../src/config.js';
import { selectorProblems } from './support/catalog.js';
import { alwaysCompared, parseQuery } from './support/promql.js';
import { alertRules, committedGroups, REPO_DIR, recordedLabels } from './support/rules.js';

// CHECKLIST A of the ops reference (monitoring-mixins' and pint's rules), on the committed file.

const alerts = alertRules();

test('there are alerts to check', (t) => {
  t.true(alerts.length > 0);
});

test('alert names are CamelCase and start with their component', (t) => {
  for (const { alert } of alerts) {
    t.regex(alert, /^([A-Z]+[a-z0-9]+)+$/, alert);
    t.regex(alert, /^(Api|Operator|SkeletonApp)[A-Z]/, alert);
  }
});

test('every alert has a severity of critical, warning or info', (t) => {
  for (const { alert, labels } of alerts)
    t.true(['critical', 'warning', 'info'].includes(labels.severity), alert);
});

test('every summary is one static sentence', (t) => {
  for (const { alert, annotations } of alerts) {
    t.regex(annotations.summary ?? '', /^[A-Z].+\.$/, alert);
    t.false(annotations.summary.includes('{{'), `${alert}: the summary must not be templated`);
  }
});

test('every description is templated with labels or the value', (t) => {
  for (const { alert, annotations } of alerts) {
    t.regex(annotations.description ?? '', /\{\{.*\$(labels\.\w+|value).*\}\}/, alert);
  }
});

test('every runbook_url is the project pattern and its runbook exists', (t) => {
  for (const { alert, annotations } of alerts) {
    t.is(annotations.runbook_url, `${RUNBOOK_BASE_URL}${alert}.md`, alert);
    t.true(existsSync(join(REPO_DIR, 'runbooks', `${alert}.md`)), `runbooks/${alert}.md is missing`);
  }
});

const DURATION = /^(\d+)([smhd])$/;
const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const seconds = (duration: string) => {
  const [, amount, unit] = DURATION.exec(duration) ?? [];
  return Number(amount) * (SECONDS[unit ?? ''] ?? Number.NaN);
};

test('every alert waits at least a minute before firing (for:), so one bad scrape never pages', (t) => {
  for (const rule of alerts) t.true(seconds(rule.for) >= 60, `${rule.alert}: for: ${rule.for}`);
});

test('every alert expression compares (or is absent()), so it cannot fire on any value', (t) => {
  for (const { alert, expr } of alerts) t.true(alwaysCompared(expr), `${alert}: ${expr}`);
});

test('no two rules share a name and labels', (t) => {
  const keys = committedGroups().flatMap((group) =>
    group.rules.map((rule) =>
      JSON.stringify(['alert' in rule ? rule.alert : rule.record, rule.labels ?? {}]),
    ),
  );
  t.deepEqual(
    keys.filter((key, index) => keys.indexOf(key) !== index),
    [],
  );
  const groups = committedGroups().map((group) => group.name);
  t.is(new Set(groups).size, groups.length);
});

test('every rule reads only catalog metrics, by labels they have, and counters only as rates', (t) => {
  const recorded = recordedLabels();
  for (const group of committedGroups()) {
    for (const rule of group.rules) {
      const parsed = parseQuery(rule.expr);
      const name = 'alert' in rule ? rule.alert : rule.record;
      t.deepEqual(parsed.errors, [], name);
      t.true(parsed.selectors.length > 0, name);
      for (const selector of parsed.selectors) t.deepEqual(selectorProblems(selector, recorded), [], name);
    }
  }
});
