import test from 'ava';
import { parseDurationSeconds } from '../../src/duration.js';

test('parses Kubernetes-style durations', (t) => {
  t.is(parseDurationSeconds('10s'), 10);
  t.is(parseDurationSeconds('15m'), 900);
  t.is(parseDurationSeconds('720h'), 2_592_000);
  t.is(parseDurationSeconds('7d'), 604_800);
  t.is(parseDurationSeconds('1h30m'), 5_400);
});

test('refuses anything else', (t) => {
  for (const text of ['', '10', 'm', '1.5h', '-5s', '10 s', '1w', 'forever']) {
    t.is(parseDurationSeconds(text), undefined, text);
  }
});
