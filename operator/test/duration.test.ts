import { durationSeconds } from '@skeleton/charts';
import test from 'ava';
import { parseDuration } from '../src/keys/duration.js';

test('each unit the CRD allows, and ms, in milliseconds', (t) => {
  t.is(parseDuration('720h'), 720 * 3_600_000);
  t.is(parseDuration('15m'), 900_000);
  t.is(parseDuration('30s'), 30_000);
  t.is(parseDuration('250ms'), 250);
  t.is(parseDuration('0s'), 0);
});

test('combined units add up, and ms is not read as minutes', (t) => {
  t.is(parseDuration('1h30m'), 5_400_000);
  t.is(parseDuration('1m30s500ms'), 90_500);
  t.is(parseDuration('2ms1m'), 60_002);
  t.is(parseDuration('1h1h'), 7_200_000);
});

test('agrees with the charts package on every duration its CRD pattern accepts', (t) => {
  for (const text of ['720h', '15m', '1h', '30s', '1h30m', '2h45m10s', '90m']) {
    t.is(parseDuration(text), durationSeconds(text) * 1000, text);
  }
});

test('anything else throws an error that names the text and the units', (t) => {
  for (const text of ['', '15', 'm', '1.5h', '1d', '-1h', ' 1h', '1h ', '1us', '1H', '1h-30m', '15 m']) {
    const error = t.throws(() => parseDuration(text), undefined, JSON.stringify(text));
    t.true(error?.message.includes(JSON.stringify(text)), error?.message);
    t.regex(error?.message ?? '', /h, m, s or ms/);
  }
});

test('a duration too long to count in milliseconds exactly throws', (t) => {
  t.throws(() => parseDuration('9999999999999h'), { message: /too long/ });
});
