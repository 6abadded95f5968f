import test from 'ava';
import { ItemBackoff } from '../src/queue/item-backoff.js';
import { TokenBucket } from '../src/queue/token-bucket.js';
import { type ReconcileOutcome, WorkQueue, type WorkQueueOptions } from '../src/queue/work-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/** A queue whose reconcile only notes the keys it is given, in order. */
function recordingQueue(options: WorkQueueOptions) {
  const seen: string[] = [];
  const queue = new WorkQueue(async (key) => {
    seen.push(key);
  }, options);
  return { queue, seen };
}

test('a key added many times while queued is reconciled once', async (t) => {
  const seen: string[] = [];
  const gate = sleep(30);
  const queue = new WorkQueue(
    async (key) => {
      await gate;
      seen.push(key);
    },
    { concurrency: 1 },
  );
  queue.add('first');
  for (let i = 0; i < 10; i++) queue.add('same');
  t.is(queue.depth, 1, 'one entry however often it is added');
  await until(() => seen.length === 2);
  await sleep(20);
  t.deepEqual(seen, ['first', 'same']);
});

test('a key added while it is being reconciled runs again right after, never twice at once', async (t) => {
  let running = 0;
  let maxRunning = 0;
  let passes = 0;
  const queue = new WorkQueue(
    async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      passes++;
      await sleep(20);
      running--;
    },
    { concurrency: 4 },
  );
  queue.add('app');
  await sleep(5);
  queue.add('app');
  queue.add('app');
  await until(() => passes === 2 && running === 0);
  await sleep(30);
  t.is(passes, 2, 'the change seen during the first pass gets exactly one more pass');
  t.is(maxRunning, 1);
});

test('no more than `concurrency` reconciles run at once', async (t) => {
  let running = 0;
  let maxRunning = 0;
  let done = 0;
  const queue = new WorkQueue(
    async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
      done++;
    },
    { concurrency: 3 },
  );
  for (let i = 0; i < 12; i++) queue.add(`key-${i}`);
  await until(() => done === 12);
  t.is(maxRunning, 3);
});

test('failures back off per key, doubling, and a success forgets them', async (t) => {
  const attempts: number[] = [];
  const delays: number[] = [];
  let failuresLeft = 3;
  const queue = new WorkQueue(
    async () => {
      attempts.push(performance.now());
      if (failuresLeft-- > 0) throw new Error('api server said no');
    },
    {
      concurrency: 1,
      backoff: { baseMs: 10, maxMs: 1_000 },
      observer: { retried: (_key, delay) => delays.push(delay) },
    },
  );
  queue.add('flaky');
  await until(() => attempts.length === 4);
  t.deepEqual(delays, [10, 20, 40]);
  for (let i = 1; i < attempts.length; i++) {
    t.true((attempts[i] as number) - (attempts[i - 1] as number) >= (delays[i - 1] as number) - 2);
  }
  failuresLeft = 1;
  queue.add('flaky');
  await until(() => delays.length === 4);
  t.is(delays[3], 10, 'after a success the back-off starts over');
});

test('an error is reported, never lost', async (t) => {
  const errors: unknown[] = [];
  let calls = 0;
  const queue = new WorkQueue(
    async () => {
      calls++;
      if (calls === 1) throw new TypeError('a bug in a handler');
    },
    {
      concurrency: 1,
      backoff: { baseMs: 5, maxMs: 5 },
      observer: { finished: (_k, _s, outcome, error) => outcome === 'error' && errors.push(error) },
    },
  );
  queue.add('app');
  await until(() => calls === 2);
  t.is((errors[0] as Error).message, 'a bug in a handler');
});

test('requeueAfter schedules the next pass; the sooner of two delays wins', async (t) => {
  const passes: number[] = [];
  const started = performance.now();
  const queue = new WorkQueue(
    async (): Promise<ReconcileOutcome> => {
      passes.push(performance.now() - started);
      return passes.length === 1 ? { requeueAfterMs: 40 } : undefined;
    },
    { concurrency: 1 },
  );
  queue.add('timed');
  await until(() => passes.length === 2);
  t.true((passes[1] as number) >= 38);

  const { queue: other, seen: order } = recordingQueue({ concurrency: 1 });
  other.addAfter('k', 200);
  other.addAfter('k', 10);
  await until(() => order.length === 1, 100);
  t.deepEqual(order, ['k']);
});

test('a pass past its timeout is aborted, and its key stays busy until that pass has settled', async (t) => {
  const log: string[] = [];
  const errors: unknown[] = [];
  let passes = 0;
  const queue = new WorkQueue(
    async (_key, signal) => {
      const pass = ++passes;
      log.push(`start ${pass}`);
      if (pass > 1) return;
      // Abandoned work takes a while to wind down once aborted, as a request in flight does.
      await new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          log.push(`aborted ${pass}`);
          setTimeout(() => {
            log.push(`settled ${pass}`);
            reject(new Error('the request was aborted'));
          }, 50);
        }),
      );
    },
    {
      concurrency: 2,
      timeoutMs: 20,
      backoff: { baseMs: 1, maxMs: 1 },
      observer: { finished: (_key, _seconds, outcome, error) => outcome === 'error' && errors.push(error) },
    },
  );
  queue.add('app');
  await until(() => log.includes('aborted 1'));
  queue.add('app');
  await until(() => passes >= 2);
  t.deepEqual(log.slice(0, 4), ['start 1', 'aborted 1', 'settled 1', 'start 2']);
  t.is(
    (errors[0] as Error).message,
    'reconcile of app took longer than 20 ms',
    'the timeout is what failed it',
  );
});

test('a pass that ignores its signal and finishes late has failed all the same, and is retried', async (t) => {
  const outcomes: string[] = [];
  let passes = 0;
  const queue = new WorkQueue(
    async () => {
      if (++passes === 1) await sleep(40);
    },
    {
      concurrency: 1,
      timeoutMs: 20,
      backoff: { baseMs: 1, maxMs: 1 },
      observer: { finished: (_key, _seconds, outcome) => outcomes.push(outcome) },
    },
  );
  queue.add('app');
  await until(() => outcomes.length >= 2);
  t.deepEqual(outcomes.slice(0, 2), ['error', 'success']);
});

test('shutdown stops taking work and waits for the reconciles in flight', async (t) => {
  const finished: string[] = [];
  const queue = new WorkQueue(
    async (key) => {
      await sleep(30);
      finished.push(key);
    },
    { concurrency: 1 },
  );
  queue.add('in-flight');
  queue.add('queued');
  await sleep(5);
  await queue.shutdown(1_000);
  t.deepEqual(finished, ['in-flight']);
  queue.add('after');
  await sleep(40);
  t.deepEqual(finished, ['in-flight']);
  t.is(queue.depth, 0);
});

test('token bucket: a burst, then the steady rate', (t) => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  t.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  t.is(bucket.reserve(), 100, 'the fourth waits one token interval');
  now += 1_000;
  t.is(bucket.reserve(), 0, 'tokens come back at the rate');
});

test('item back-off doubles up to its cap, per key', (t) => {
  const backoff = new ItemBackoff<string>(5, 30);
  t.deepEqual([backoff.next('a'), backoff.next('a'), backoff.next('a'), backoff.next('a')], [5, 10, 20, 30]);
  t.is(backoff.next('b'), 5);
  t.is(backoff.retries('a'), 4);
  backoff.forget('a');
  t.is(backoff.next('a'), 5);
});

test('idle: work scheduled for later does not count, a retry waiting out its back-off does', async (t) => {
  let fail = true;
  let retried = false;
  const queue = new WorkQueue(
    async (key): Promise<ReconcileOutcome> => {
      if (key === 'failing' && fail) throw new Error('boom');
      return { requeueAfterMs: 60_000 };
    },
    {
      concurrency: 1,
      backoff: { baseMs: 200, maxMs: 200 },
      observer: {
        retried: () => {
          retried = true;
        },
      },
    },
  );
  t.teardown(() => queue.shutdown(0));
  queue.add('timed');
  await until(() => queue.idle);
  t.true(queue.idle, 'a reconcile due in a minute leaves the queue idle');

  queue.add('failing');
  await until(() => retried);
  t.false(queue.idle, 'a failed key waiting for its retry is work pending');
  fail = false;
  await until(() => queue.idle);
  t.true(queue.idle, 'idle again once the retry succeeded');
});

/** A reconcile that holds each key until the test lets it finish. */
function heldReconciles() {
  const held = new Map<string, () => void>();
  return {
    reconcile: (key: string) => new Promise<void>((resolve) => held.set(key, resolve)),
    running: () => [...held.keys()],
    release(key: string) {
      held.get(key)?.();
      held.delete(key);
    },
  };
}

test('idle: not while a key is queued or being reconciled', async (t) => {
  const work = heldReconciles();
  const queue = new WorkQueue(work.reconcile, { concurrency: 1 });
  t.true(queue.idle, 'a new queue');
  queue.add('a');
  queue.add('b');
  t.is(queue.depth, 1);
  t.false(queue.idle, 'a running, b queued');
  work.release('a');
  await until(() => work.running().includes('b'));
  t.is(queue.depth, 0);
  t.false(queue.idle, 'b running, nothing queued');
  work.release('b');
  await until(() => queue.idle);
  t.true(queue.idle);
});

test('of two delays for one key the sooner wins, whichever came first, and the key runs once', async (t) => {
  for (const delays of [
    [150, 10],
    [10, 150],
  ]) {
    const runs: number[] = [];
    const started = performance.now();
    const queue = new WorkQueue(
      async () => {
        runs.push(performance.now() - started);
      },
      { concurrency: 1 },
    );
    for (const delay of delays) queue.addAfter('k', delay);
    await sleep(250);
    t.is(runs.length, 1, `${delays}: once`);
    t.true((runs[0] as number) < 100, `${delays}: at the sooner delay`);
  }
});

test('a delay of zero or less adds the key at once', (t) => {
  const { queue, seen } = recordingQueue({ concurrency: 2 });
  queue.addAfter('now', 0);
  queue.addAfter('overdue', -5);
  t.deepEqual(seen, ['now', 'overdue'], 'both started before addAfter returned');
});

test('failures back off up to the cap and stay there', async (t) => {
  const delays: number[] = [];
  let calls = 0;
  const queue = new WorkQueue(
    async () => {
      if (++calls <= 5) throw new Error('api server said no');
    },
    {
      concurrency: 1,
      backoff: { baseMs: 2, maxMs: 5 },
      observer: { retried: (_key, delay) => delays.push(delay) },
    },
  );
  queue.add('flaky');
  await until(() => calls === 6);
  t.deepEqual(delays, [2, 4, 5, 5, 5]);
});

test('with no observer a failure is retried all the same', async (t) => {
  let calls = 0;
  const queue = new WorkQueue(
    async () => {
      if (++calls === 1) throw new Error('api server said no');
    },
    { concurrency: 1, backoff: { baseMs: 1, maxMs: 1 } },
  );
  queue.add('flaky');
  await until(() => calls === 2);
  t.is(calls, 2);
});

test('the observer is told how long a key waited, how long its pass took, and how it ended', async (t) => {
  const started: [string, number][] = [];
  const finished: [string, number, string][] = [];
  const queue = new WorkQueue(
    async (key): Promise<ReconcileOutcome> => {
      await sleep(30);
      return key === 'timed' ? { requeueAfterMs: 60_000 } : undefined;
    },
    {
      concurrency: 1,
      observer: {
        started: (key, seconds) => started.push([key, seconds]),
        finished: (key, seconds, outcome) => finished.push([key, seconds, outcome]),
      },
    },
  );
  t.teardown(() => queue.shutdown(0));
  queue.add('plain');
  queue.add('timed');
  await until(() => finished.length === 2);
  t.deepEqual(
    finished.map(([key, , outcome]) => [key, outcome]),
    [
      ['plain', 'success'],
      ['timed', 'requeue_after'],
    ],
  );
  for (const [key, seconds] of finished) t.true(seconds >= 0.025 && seconds < 1, `${key} took ${seconds} s`);
  const [first, second] = started.map(([, seconds]) => seconds) as [number, number];
  t.true(first < 0.02, `the first key started at once, not after ${first} s`);
  t.true(second >= 0.025 && second < 1, `the second waited for the first: ${second} s`);
});

test('shutdown waits for every reconcile in flight, and no longer', async (t) => {
  const finished: string[] = [];
  const queue = new WorkQueue(
    async (key) => {
      await sleep(key === 'quick' ? 10 : 60);
      finished.push(key);
    },
    { concurrency: 2 },
  );
  queue.add('quick');
  queue.add('slow');
  const started = performance.now();
  await queue.shutdown(5_000);
  t.deepEqual(finished, ['quick', 'slow']);
  t.true(performance.now() - started < 1_000, 'and returns once the last is done, not at its timeout');
});

test('shutdown with nothing in flight returns at once', async (t) => {
  const { queue } = recordingQueue({ concurrency: 1 });
  const outcome = await Promise.race([
    queue.shutdown(5_000).then(() => 'returned'),
    sleep(1_000).then(() => 'still waiting'),
  ]);
  t.is(outcome, 'returned');
});

test('shutdown stops waiting once its timeout has passed', async (t) => {
  const work = heldReconciles();
  const queue = new WorkQueue(work.reconcile, { concurrency: 1 });
  t.teardown(() => work.release('stuck'));
  queue.add('stuck');
  const outcome = await Promise.race([
    queue.shutdown(50).then(() => 'returned'),
    sleep(1_000).then(() => 'still waiting'),
  ]);
  t.is(outcome, 'returned');
});

test('a pass that fails during shutdown is not retried and leaves nothing pending', async (t) => {
  let fail: (error: Error) => void = () => {};
  const queue = new WorkQueue(
    () =>
      new Promise<void>((_resolve, reject) => {
        fail = reject;
      }),
    { concurrency: 1, backoff: { baseMs: 1, maxMs: 1 } },
  );
  queue.add('app');
  const stopped = queue.shutdown(1_000);
  fail(new Error('cut off'));
  await stopped;
  t.true(queue.idle);
});
