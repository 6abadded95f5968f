import test from 'ava';
import { GOAL_APPS, judgeGoals, renderGoals } from '../operator/goals.js';

const MIB = 2 ** 20;

test('each goal is judged against its figure, at its bound inclusive where the goal says ≤', (t) => {
  const results = judgeGoals({
    apps: GOAL_APPS,
    peakRssBytes: 150 * MIB,
    cpuPerAppMs: 15.01,
    traffic: { connections: 110, requests: 19_437 },
  });
  t.deepEqual(
    results.map(({ name, figure, pass }) => [name, figure, pass]),
    [
      ['operator peak RSS (MiB)', '150.0', true],
      ['operator CPU per app (ms)', '15.0', false],
      ['connections per request', '0.0057 (110 for 19437)', true],
    ],
  );
});

test('one connection per request fails the reuse goal; one in ten exactly fails too', (t) => {
  const reuse = (connections: number, requests: number) =>
    judgeGoals({ apps: 1, peakRssBytes: 0, cpuPerAppMs: 0, traffic: { connections, requests } })[2]?.pass;
  t.false(reuse(13_192, 14_113));
  t.false(reuse(100, 1000));
  t.true(reuse(99, 1000));
});

test('a figure the backend cannot give is reported as not measured, neither passed nor failed', (t) => {
  const [rss, cpu, connections] = judgeGoals({
    apps: 1,
    peakRssBytes: undefined,
    cpuPerAppMs: Number.NaN,
    traffic: undefined,
  });
  t.like(rss, { figure: 'not measured', pass: undefined });
  t.like(cpu, { figure: 'not measured', pass: undefined });
  t.like(connections, { figure: 'not measured', pass: undefined });
});

test('the table says pass or FAIL per goal, and names the app count when it is not the goal’s', (t) => {
  const table = renderGoals({
    apps: 300,
    peakRssBytes: 200 * MIB,
    cpuPerAppMs: 10,
    traffic: undefined,
  });
  t.is(table[0], `| Goal (stated for ${GOAL_APPS} apps; this run: 300) | Figure | Target | Met |`);
  t.is(table[2], '| operator peak RSS (MiB) | 200.0 | ≤ 150 | FAIL |');
  t.is(table[3], '| operator CPU per app (ms) | 10.0 | ≤ 15 | pass |');
  t.is(table[4], '| connections per request | not measured | < 1 in 10 | — |');
  t.is(
    renderGoals({ apps: GOAL_APPS, peakRssBytes: 0, cpuPerAppMs: 0, traffic: undefined })[0]?.includes(
      'this run',
    ),
    false,
  );
});
