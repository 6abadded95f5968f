import test from 'ava';
import { concurrencyLimit } from '../../src/domain/passwords/concurrency-limit.js';
import { limitHashing, type PasswordHasher } from '../../src/domain/passwords/password-hasher.js';

/** A task that stays running until the test lets it finish. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const ticks = () => new Promise((resolve) => setImmediate(resolve));

test('no more than the limit run at once, and the rest start in arrival order as slots free', async (t) => {
  const limited = concurrencyLimit(2);
  const gates = Array.from({ length: 5 }, gate);
  const started: number[] = [];
  const results = gates.map((g, index) =>
    limited(async () => {
      started.push(index);
      await g.opened;
      return index;
    }),
  );
  await ticks();
  t.deepEqual(started, [0, 1]);
  gates[1]?.open();
  await ticks();
  t.deepEqual(started, [0, 1, 2]);
  gates[0]?.open();
  await ticks();
  t.deepEqual(started, [0, 1, 2, 3]);
  for (const g of gates) g.open();
  t.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
});

test('a failing task passes its error on and frees its slot', async (t) => {
  const limited = concurrencyLimit(1);
  const failing = limited(async () => {
    throw new Error('boom');
  });
  const next = limited(async () => 'next ran');
  await t.throwsAsync(failing, { message: 'boom' });
  t.is(await next, 'next ran');
});

test('logins, registrations and password changes share one hashing limit', async (t) => {
  let running = 0;
  let most = 0;
  const slow = async <T>(value: T) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running -= 1;
    return value;
  };
  const hasher: PasswordHasher = { hash: (password) => slow(`hash:${password}`), verify: () => slow(true) };
  const limited = limitHashing(hasher, 3);
  const answers = await Promise.all([
    ...Array.from({ length: 6 }, (_, n) => limited.hash(`p${n}`)),
    ...Array.from({ length: 6 }, () => limited.verify('hash', 'p')),
  ]);
  t.is(most, 3);
  t.deepEqual(answers.slice(0, 2), ['hash:p0', 'hash:p1']);
  t.true(answers.slice(6).every((answer) => answer === true));
});
