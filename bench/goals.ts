/** A target from the performance issue, the figure this run measured for it, and whether it met it. */
export interface Goal {
  name: string;
  figure: string;
  target: string;
  /** undefined: the figure could not be measured (on this backend, in this run). */
  pass: boolean | undefined;
}

const verdict = (pass: boolean | undefined) => (pass === undefined ? '—' : pass ? 'pass' : 'FAIL');

/** One goal as a Markdown table row: name, figure, target, verdict. */
export const goalRow = (goal: Goal) =>
  `| ${goal.name} | ${goal.figure} | ${goal.target} | ${verdict(goal.pass)} |`;

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export const ratioGoal = (name: string, measured: number, baseline: number, minimum: number): Goal => {
  const ratio = measured / baseline;
  return {
    name,
    figure: `${fixed(ratio, 3)}× (${Math.round(measured)} ÷ ${Math.round(baseline)})`,
    target: `≥ ${minimum.toFixed(2)}×`,
    pass: ratio >= minimum,
  };
};

export const belowGoal = (name: string, measured: number, limit: number, unit: string): Goal => ({
  name,
  figure: `${fixed(measured, measured < 10 ? 2 : 0)} ${unit}`,
  target: `< ${limit} ${unit}`,
  pass: measured < limit,
});

export const atLeastGoal = (name: string, measured: number, minimum: number, unit: string): Goal => ({
  name,
  figure: `${fixed(measured, 0)} ${unit}`,
  target: `≥ ${minimum} ${unit}`,
  pass: measured >= minimum,
});

export const countGoal = (name: string, count: number, what: string): Goal => ({
  name,
  figure: `${count} ${what}`,
  target: `0 ${what}`,
  pass: count === 0,
});

export function renderGoals(goals: readonly Goal[]): string {
  const met = goals.filter((goal) => goal.pass === true).length;
  return [
    '| Goal | Measured | Target | Result |',
    '|---|--:|--:|---|',
    ...goals.map(
      (goal) => `| ${goal.name} | ${goal.figure} | ${goal.target} | ${goal.pass ? 'pass' : 'FAIL'} |`,
    ),
    '',
    `${met} of ${goals.length} goals met.`,
    '',
  ].join('\n');
}
