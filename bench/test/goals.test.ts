import test from 'ava';
import { atLeastGoal, belowGoal, countGoal, ratioGoal, renderGoals } from '../goals.js';

test('a ratio goal passes at its minimum and shows both figures', (t) => {
  t.like(ratioGoal('health', 70, 100, 0.7), { figure: '0.700× (70 ÷ 100)', target: '≥ 0.70×', pass: true });
  t.false(ratioGoal('health', 69, 100, 0.7).pass);
  t.false(ratioGoal('health', 0, 0, 0.7).pass, 'no baseline is no pass');
});

test('a ceiling is strict, and small figures keep their decimals', (t) => {
  t.like(belowGoal('p95', 199.6, 200, 'ms'), { figure: '200 ms', target: '< 200 ms', pass: true });
  t.false(belowGoal('p95', 200, 200, 'ms').pass);
  t.is(belowGoal('cold start', 0.834, 1, 's').figure, '0.83 s');
});

test('a floor is inclusive', (t) => {
  t.like(atLeastGoal('journey', 1000, 1000, 'req/s'), {
    figure: '1000 req/s',
    target: '≥ 1000 req/s',
    pass: true,
  });
  t.false(atLeastGoal('journey', 999.4, 1000, 'req/s').pass);
});

test('a count goal wants none', (t) => {
  t.true(countGoal('errors', 0, 'errors').pass);
  t.like(countGoal('errors', 3, 'errors'), { figure: '3 errors', pass: false });
});

test('the table says pass or FAIL for each goal and how many were met', (t) => {
  const table = renderGoals([countGoal('a', 0, 'errors'), countGoal('b', 1, 'errors')]);
  t.regex(table, /\| a \| 0 errors \| 0 errors \| pass \|/);
  t.regex(table, /\| b \| 1 errors \| 0 errors \| FAIL \|/);
  t.regex(table, /1 of 2 goals met\./);
});
