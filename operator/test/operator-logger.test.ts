import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { childEnvironment, OPERATOR_DIR, startProcess } from './support/operator-process.js';

const LINES = 500;

test('every line logged before exit reaches stdout in order, even when the pipe was full', async (t) => {
  const operator = startProcess(
    process.execPath,
    ['--import', 'tsx', 'test/support/scripts/log-burst-then-exit.ts', String(LINES)],
    { cwd: OPERATOR_DIR, env: childEnvironment({}) },
  );
  // Not reading yet: about 500 KiB against a 64 KiB pipe makes the logger's writes wait.
  operator.child.stdout?.pause();
  await sleep(1_000);
  operator.child.stdout?.resume();
  t.deepEqual(await operator.exited, { code: 0, signal: null }, operator.stderr());
  t.deepEqual(
    operator.logs().map((line) => line.index ?? line.msg),
    [...Array.from({ length: LINES }, (_, index) => index), 'stopped'],
    'every line, in the order logged',
  );
});
