import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { finished, startScript } from '../support/processes.js';

const LINES = 500;

test('every line logged before exit reaches stdout in order, even when the pipe was full', async (t) => {
  const child = startScript('test/support/scripts/log-burst-then-exit.ts', [String(LINES)], {});
  const output = finished(child);
  // Not reading yet: about 500 KiB against a 64 KiB pipe makes the logger's writes wait (EAGAIN).
  child.stdout?.pause();
  await sleep(1_000);
  child.stdout?.resume();
  const { code, stdout, stderr } = await output;
  t.is(code, 0, stderr);
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { msg: string; index?: number });
  t.deepEqual(
    lines
      .map((line) => line.index ?? line.msg)
      .filter((message) => message !== 'late' && message !== 'later'),
    [...Array.from({ length: LINES }, (_, index) => index), 'stopped'],
    'every line, in the order logged',
  );
});

test('a line logged while the exit waits for the log is no error: the process still exits 0', async (t) => {
  for (const format of ['json', 'pretty']) {
    const { code, stdout, stderr } = await finished(
      startScript('test/support/scripts/log-burst-then-exit.ts', ['3', format], {}),
    );
    t.is(code, 0, `${format}: ${stderr}`);
    t.is(stderr, '', format);
    t.regex(stdout, /stopped/, format);
  }
});
