import test from 'ava';
import { parseQuery } from './support/promql.js';
import { alertCases, alertRules, exprCases, recordingRules } from './support/rules.js';

const firing = alertCases().filter((c) => (c.exp_alerts ?? []).length > 0);
const silent = alertCases().filter((c) => (c.exp_alerts ?? []).length === 0);

test('every alert rule fires in a promtool test, with its labels and every annotation asserted', (t) => {
  for (const rule of alertRules()) {
    const asserted = firing
      .filter((c) => c.alertname === rule.alert)
      .flatMap((c) => c.exp_alerts ?? [])
      .filter((expected) =>
        Object.entries(rule.labels).every(([label, value]) => expected.exp_labels?.[label] === value),
      );
    const tier = JSON.stringify(rule.labels);
    t.true(asserted.length > 0, `${rule.alert} ${tier} never fires in test/rules/`);
    for (const expected of asserted) {
      t.deepEqual(
        Object.keys(expected.exp_annotations ?? {}).sort(),
        Object.keys(rule.annotations).sort(),
        `${rule.alert} ${tier}: assert every annotation`,
      );
    }
  }
});

test('every alert stays silent in a promtool test', (t) => {
  for (const name of new Set(alertRules().map((rule) => rule.alert))) {
    t.true(
      silent.some((c) => c.alertname === name),
      `${name} has no case with exp_alerts: [] in test/rules/`,
    );
  }
});

test('every alert the promtool tests name exists', (t) => {
  const names = new Set(alertRules().map((rule) => rule.alert));
  for (const c of alertCases())
    t.true(names.has(c.alertname), `test/rules/ tests an unknown alert ${c.alertname}`);
});

test("every recording rule's value is checked by a promtool expression test", (t) => {
  const selected = exprCases().flatMap((c) => parseQuery(c.expr).selectors);
  for (const rule of recordingRules()) {
    const labels = Object.entries(rule.labels ?? {});
    t.true(
      selected.some(
        (selector) =>
          selector.metric === rule.record &&
          labels.every(([label, value]) =>
            selector.matchers.some((m) => m.label === label && m.op === '=' && m.value === value),
          ),
      ),
      `${rule.record} ${JSON.stringify(rule.labels)} has no promql_expr_test in test/rules/`,
    );
  }
});

test('every label an alert description uses is a label of that alert when it fires', (t) => {
  for (const rule of alertRules()) {
    const used = [...rule.annotations.description.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]);
    const seen = new Set(
      firing
        .filter((c) => c.alertname === rule.alert)
        .flatMap((c) => (c.exp_alerts ?? []).flatMap((expected) => Object.keys(expected.exp_labels ?? {}))),
    );
    for (const label of used)
      t.true(seen.has(label as string), `${rule.alert}: {{ $labels.${label} }} never set`);
  }
});
