import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { AlertRule, RecordingRule, RuleGroup } from '../../src/rule-types.js';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_DIR = join(PACKAGE_DIR, '..');
export const RULES_FILE = join(PACKAGE_DIR, 'dist', 'skeleton-rules.yaml');
export const RULE_TESTS_DIR = join(PACKAGE_DIR, 'test', 'rules');

/** The committed rule file, as Prometheus reads it: what these tests hold to the checklists. */
export function committedGroups(): RuleGroup[] {
  return (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: RuleGroup[] }).groups;
}

const rules = () => committedGroups().flatMap((group) => group.rules);

export const alertRules = () => rules().filter((rule): rule is AlertRule => 'alert' in rule);

export const recordingRules = () => rules().filter((rule): rule is RecordingRule => 'record' in rule);

/** Each recording rule's name and the labels its series carry (its `by` labels and its own). */
export function recordedLabels(): Map<string, Set<string>> {
  const recorded = new Map<string, Set<string>>();
  for (const rule of recordingRules()) {
    const by = [...rule.expr.matchAll(/by \(([^)]*)\)/g)].flatMap((match) => (match[1] ?? '').split(', '));
    const labels = recorded.get(rule.record) ?? new Set<string>();
    for (const label of [...by, ...Object.keys(rule.labels ?? {})]) labels.add(label);
    recorded.set(rule.record, labels);
  }
  return recorded;
}

/** promtool's unit-test format (`promtool test rules`), as far as these tests read it. */
export interface ExpectedAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}

export interface RuleTestFile {
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: ExpectedAlert[] }[];
    promql_expr_test?: { expr: string; eval_time: string }[];
  }[];
}

export const ruleTestFiles = () =>
  readdirSync(RULE_TESTS_DIR)
    .filter((name) => name.endsWith('.test.yaml'))
    .sort()
    .map((name) => join(RULE_TESTS_DIR, name));

export const readRuleTests = (file: string) => parse(readFileSync(file, 'utf8')) as RuleTestFile;

export function alertCases() {
  return ruleTestFiles().flatMap((file) =>
    readRuleTests(file).tests.flatMap((test) => test.alert_rule_test ?? []),
  );
}

export function exprCases() {
  return ruleTestFiles().flatMap((file) =>
    readRuleTests(file).tests.flatMap((test) => test.promql_expr_test ?? []),
  );
}
