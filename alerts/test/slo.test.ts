import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { HTTP_DURATION_BUCKETS } from '../../api/src/observability/metric-catalog.js';
import type { Severity } from '../src/rule-types.js';
import { errorRatioRecord, hours, LATENCY_THRESHOLD_SECONDS, SLO_PERIOD, SLOS } from '../src/slo.js';
import { parseQuery } from './support/promql.js';
import { committedGroups, REPO_DIR } from './support/rules.js';

// CHECKLIST C of the ops reference, on the committed file.

/** The SRE workbook's Table 5-8: severity, windows and the share of a 30-day budget each tier spends. */
const WORKBOOK: { severity: Severity; long: string; short: string; budgetSpent: number; for: string }[] = [
  { severity: 'critical', long: '1h', short: '5m', budgetSpent: 0.02, for: '2m' },
  { severity: 'critical', long: '6h', short: '30m', budgetSpent: 0.05, for: '15m' },
  { severity: 'warning', long: '3d', short: '6h', budgetSpent: 0.1, for: '3h' },
];

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test('the period is 30 days, which the workbook factors assume', (t) => {
  t.is(hours(SLO_PERIOD), 720);
});

test('hours() reads single-unit durations only', (t) => {
  t.is(hours('30m'), 0.5);
  t.throws(() => hours('1h30m'), { message: /single-unit/ });
});

for (const slo of SLOS) {
  const group = committedGroups().find((candidate) => candidate.name === `skeleton-${slo.name}-slo`);
  const alerts = (group?.rules ?? []).filter((rule) => 'alert' in rule);

  test(`${slo.name}: the burn-rate alerts are the workbook's tiers, factors recomputed`, (t) => {
    t.is(alerts.length, WORKBOOK.length);
    const budget = 1 - slo.objective;
    for (const tier of WORKBOOK) {
      const rule = alerts.find((candidate) => candidate.labels?.long === tier.long);
      if (!rule || !('alert' in rule)) return t.fail(`no tier over ${tier.long}`);
      t.is(rule.alert, slo.alert);
      t.is(rule.labels.short, tier.short);
      t.true(close(hours(tier.short), hours(tier.long) / 12), `${tier.short} is 1/12 of ${tier.long}`);
      t.is(rule.labels.severity, tier.severity);
      t.is(rule.for, tier.for);
      const factor = (tier.budgetSpent * hours(SLO_PERIOD)) / hours(tier.long);
      // Both windows, the same threshold: factor × error budget.
      const thresholds = [...rule.expr.matchAll(/> \(([\d.]+) \* ([\d.]+)\)/g)];
      t.is(thresholds.length, 2, rule.expr);
      for (const [, k, b] of thresholds) {
        t.true(close(Number(k), factor), `${tier.long}: factor ${k}, workbook ${factor}`);
        t.true(close(Number(b), budget), `${tier.long}: budget ${b}`);
      }
      const windows = parseQuery(rule.expr).selectors.map((selector) => selector.metric);
      t.deepEqual(windows, [errorRatioRecord(tier.long), errorRatioRecord(tier.short)]);
    }
  });

  test(`${slo.name}: every window an alert reads is recorded earlier in the same group`, (t) => {
    const rules = group?.rules ?? [];
    for (const [index, rule] of rules.entries()) {
      if (!('alert' in rule)) continue;
      for (const selector of parseQuery(rule.expr).selectors) {
        const recordedAt = rules.findIndex(
          (candidate) => 'record' in candidate && candidate.record === selector.metric,
        );
        t.true(recordedAt >= 0 && recordedAt < index, `${selector.metric} before ${rule.alert}`);
        t.is(rules[recordedAt]?.labels?.slo, slo.name);
      }
    }
  });
}

test('the latency threshold is a bucket boundary of the API histogram, and the one the SLI reads', (t) => {
  t.true(HTTP_DURATION_BUCKETS.includes(LATENCY_THRESHOLD_SECONDS));
  const latency = SLOS.find((slo) => slo.name === 'api-latency');
  const les = parseQuery(latency?.errorRatio('5m') ?? '')
    .selectors.flatMap((selector) => selector.matchers)
    .filter((matcher) => matcher.label === 'le');
  t.deepEqual(
    les.map((matcher) => matcher.value),
    [String(LATENCY_THRESHOLD_SECONDS)],
  );
});

test('the README documents each objective, the tiers and the low-traffic caveat', (t) => {
  const readme = readFileSync(join(REPO_DIR, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Alerts and runbooks'));
  t.true(readme.includes('## Alerts and runbooks'));
  for (const slo of SLOS) {
    t.true(section.includes(`\`${slo.name}\``), slo.name);
    t.true(section.includes(`${Number((slo.objective * 100).toPrecision(6))}%`), `${slo.name} objective`);
  }
  t.true(section.includes(`${LATENCY_THRESHOLD_SECONDS * 1000} ms`));
  for (const tier of WORKBOOK) t.true(section.includes(`${tier.long}/${tier.short}`), tier.long);
  t.regex(section, /low\s+traffic/i);
});
