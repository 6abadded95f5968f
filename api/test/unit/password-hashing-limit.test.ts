import test from 'ava';
import { concurrencyLimit } from '../../src/domain/passwords/concurrency-limit.js';
import { limitHashing, type PasswordHasher } from '../../src/domain/passwords/password-hasher.js';
import { DomainError } from '../../src/errors.js';

/** A task that stays running until the test lets it finish. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

const ticks = () => new Promise((resolve) => setImmediate(resolve));

class Refused extends Error {}

/** A limit whose wait line never fills, for the tests about running and ordering alone. */
const unboundedLine = (maxConcurrent: number) =>
  concurrencyLimit({ maxConcurrent, maxWaiting: Number.POSITIVE_INFINITY, refuse: () => new Refused() });

/** Whether a promise has settled after the pending callbacks ran; never waits for it otherwise. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await ticks();
  return settled;
}

test('no more than the limit run at once, and the rest start in arrival order as slots free', async (t) => {
  const limited = unboundedLine(2);
  const gates = Array.from({ length: 5 }, gate);
  const started: number[] = [];
  const results = gates.map((g, index) =>
    limited.run(async () => {
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
  const limited = unboundedLine(1);
  const failing = limited.run(async () => {
    throw new Error('boom');
  });
  const next = limited.run(async () => 'next ran');
  await t.throwsAsync(failing, { message: 'boom' });
  t.is(await next, 'next ran');
});

test('with every slot busy and the wait line full, the next task is refused at once and never runs', async (t) => {
  const limited = concurrencyLimit({ maxConcurrent: 1, maxWaiting: 2, refuse: () => new Refused() });
  const running = gate();
  const ran: string[] = [];
  const task = (name: string) => async () => {
    ran.push(name);
    await running.opened;
    return name;
  };
  const admitted = [limited.run(task('first')), limited.run(task('second')), limited.run(task('third'))];
  await ticks();
  t.deepEqual([limited.running, limited.waiting], [1, 2]);

  const refused = limited.run(task('fourth'));
  t.true(await settledNow(refused), 'refused while the others still hold the slot and the line');
  await t.throwsAsync(refused, { instanceOf: Refused });
  t.deepEqual([limited.running, limited.waiting], [1, 2], 'a refusal takes no place in the line');

  running.open();
  t.deepEqual(await Promise.all(admitted), ['first', 'second', 'third']);
  t.deepEqual(ran, ['first', 'second', 'third'], 'in arrival order, and the refused task never ran');
  t.deepEqual([limited.running, limited.waiting], [0, 0]);
});

test('refuseIfFull throws the refusal exactly when a task run now would be refused', async (t) => {
  const limited = concurrencyLimit({ maxConcurrent: 1, maxWaiting: 1, refuse: () => new Refused() });
  const running = gate();
  t.notThrows(() => limited.refuseIfFull(), 'a free slot');
  const first = limited.run(() => running.opened);
  t.notThrows(() => limited.refuseIfFull(), 'a place in the line');
  const second = limited.run(() => running.opened);
  await ticks();
  t.throws(() => limited.refuseIfFull(), { instanceOf: Refused });
  t.deepEqual([limited.running, limited.waiting], [1, 1], 'the check takes no place');
  running.open();
  await Promise.all([first, second]);
  t.notThrows(() => limited.refuseIfFull());
});

test('once a place in the line frees, the next task is admitted again', async (t) => {
  const limited = concurrencyLimit({ maxConcurrent: 1, maxWaiting: 1, refuse: () => new Refused() });
  const gates = [gate(), gate(), gate()];
  const order: number[] = [];
  const task = (index: number) => async () => {
    order.push(index);
    await gates[index]?.opened;
    return index;
  };
  const first = limited.run(task(0));
  const second = limited.run(task(1));
  await t.throwsAsync(limited.run(task(2)), { instanceOf: Refused });

  gates[0]?.open();
  t.is(await first, 0);
  await ticks();
  t.deepEqual([limited.running, limited.waiting], [1, 0], 'the waiting task took the slot');
  const third = limited.run(task(2));
  for (const g of gates) g.open();
  t.deepEqual(await Promise.all([second, third]), [1, 2]);
  t.deepEqual(order, [0, 1, 2]);
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
  const hasher: PasswordHasher = {
    hash: (password) => slow(`hash:${password}`),
    verify: () => slow(true),
    needsRehash: () => false,
  };
  const limited = limitHashing(hasher, {
    maxConcurrent: 3,
    maxWaiting: 9,
    retryAfterSeconds: 1,
    onRefused: () => {},
  });
  const answers = await Promise.all([
    ...Array.from({ length: 6 }, (_, n) => limited.hash(`p${n}`)),
    ...Array.from({ length: 6 }, () => limited.verify('hash', 'p')),
  ]);
  t.is(most, 3);
  t.deepEqual(answers.slice(0, 2), ['hash:p0', 'hash:p1']);
  t.true(answers.slice(6).every((answer) => answer === true));
});

test('a hash refused by the full queue is a 503 service.overloaded with Retry-After, and is counted', async (t) => {
  const running = gate();
  const calls: string[] = [];
  const hasher: PasswordHasher = {
    async hash(password) {
      calls.push(`hash ${password}`);
      await running.opened;
      return `hash:${password}`;
    },
    async verify(_passwordHash, password) {
      calls.push(`verify ${password}`);
      await running.opened;
      return true;
    },
    needsRehash: (passwordHash) => passwordHash === 'old',
  };
  let refusals = 0;
  const limited = limitHashing(hasher, {
    maxConcurrent: 1,
    maxWaiting: 1,
    retryAfterSeconds: 3,
    onRefused: () => {
      refusals += 1;
    },
  });
  const admitted = [limited.verify('h', 'a'), limited.hash('b')];
  await ticks();
  t.deepEqual([limited.running, limited.waiting], [1, 1]);

  const refused = await t.throwsAsync(limited.verify('h', 'c'), { instanceOf: DomainError });
  t.like(refused, { code: 'service.overloaded', status: 503, headers: { 'Retry-After': '3' } });
  t.is(refusals, 1);
  t.true(limited.needsRehash('old'), 'asking about parameters takes no place in the queue');
  t.false(limited.needsRehash('new'));

  running.open();
  t.deepEqual(await Promise.all(admitted), [true, 'hash:b']);
  t.deepEqual(calls, ['verify a', 'hash b']);
});
