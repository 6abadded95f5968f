import test from 'ava';
import {
  type EventBody,
  EventRecorder,
  type EventRecorderOptions,
  type EventSubject,
  truncateUtf8,
} from '../src/events/event-recorder.js';

/** EventRecorder: the events.k8s.io/v1 body it sends, and client-go's per-object spam filter. */

const T0 = new Date('2025-01-01T00:00:00.123Z');

const APP: EventSubject = {
  apiVersion: 'platform.skeleton.dev/v1alpha1',
  kind: 'SkeletonApp',
  name: 'accounts',
  namespace: 'identity',
  uid: '0b5c3a6e-1f2d-4c8e-9a7b-3d2e1f0a9b8c',
};

interface Logged {
  msg: string;
  fields: Record<string, unknown>;
}

/** A recorder on a clock that only moves when the test says so, capturing what it sends and logs. */
function setup(options: Partial<EventRecorderOptions> = {}) {
  let now = T0.getTime();
  const sent: EventBody[] = [];
  const logs: Logged[] = [];
  const recorder = new EventRecorder({
    create: async (event) => {
      sent.push(event);
    },
    reportingController: 'platform.skeleton.dev/operator',
    reportingInstance: 'operator-7d9f-abcde',
    clock: () => new Date(now),
    log: (msg, fields) => logs.push({ msg, fields }),
    ...options,
  });
  const advance = (ms: number) => {
    now += ms;
  };
  /** Records `count` events that differ in their note, so none is a duplicate of another. */
  const recordDistinct = async (count: number, subject = APP) => {
    const results: boolean[] = [];
    for (let i = 0; i < count; i += 1) {
      results.push(await recorder.record(subject, 'Normal', 'Applied', `change ${i} at ${now}`));
    }
    return results;
  };
  return { recorder, sent, logs, advance, recordDistinct };
}

test('the body is an events.k8s.io/v1 Event regarding the object, from this controller', async (t) => {
  const { recorder, sent } = setup();
  t.true(await recorder.record(APP, 'Warning', 'NotReady', 'RollingOut: a rollout is in progress'));
  t.is(sent.length, 1);
  const { metadata, ...rest } = sent[0] as EventBody;
  t.deepEqual(rest, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    eventTime: '2025-01-01T00:00:00.123000Z',
    reportingController: 'platform.skeleton.dev/operator',
    reportingInstance: 'operator-7d9f-abcde',
    action: 'Reconcile',
    reason: 'NotReady',
    note: 'RollingOut: a rollout is in progress',
    type: 'Warning',
    regarding: APP,
  });
  t.is(metadata.namespace, APP.namespace, 'an event lives in the namespace of the object it is about');
});

test('eventTime is RFC 3339 with microseconds, as MicroTime is serialized', async (t) => {
  const { recorder, sent } = setup();
  await recorder.record(APP, 'Normal', 'Ready', '2 replicas ready.');
  t.regex(sent[0]?.eventTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  t.is(new Date(sent[0]?.eventTime ?? '').getTime(), T0.getTime());
});

test('the event name is the object name and a unique suffix, as client-go names events', async (t) => {
  const { recorder, sent } = setup();
  await recorder.record(APP, 'Normal', 'Ready', 'one');
  await recorder.record(APP, 'Normal', 'Ready', 'two');
  const names = sent.map((event) => event.metadata.name);
  for (const name of names) t.regex(name, /^accounts\.[0-9a-f]{16}$/);
  t.not(names[0], names[1], 'two events of the same instant must not collide on create');
});

test('the note is truncated to 1024 characters', async (t) => {
  const { recorder, sent } = setup();
  const note = 'x'.repeat(1000) + 'y'.repeat(1000);
  t.true(await recorder.record(APP, 'Warning', 'Degraded', note));
  t.is(sent[0]?.note, note.slice(0, 1024));
});

test('an object may send a burst of events; beyond it events are dropped and the drop logged', async (t) => {
  const { sent, logs, recordDistinct } = setup({ burst: 3 });
  t.deepEqual(await recordDistinct(4), [true, true, true, false]);
  t.is(sent.length, 3);
  t.deepEqual(logs, [
    { msg: 'event dropped: rate limit for this object', fields: { ...APP, reason: 'Applied' } },
  ]);
});

test('the budget is per object: exhausting one leaves the others their burst', async (t) => {
  const { recordDistinct } = setup({ burst: 1 });
  t.deepEqual(await recordDistinct(2), [true, false]);
  t.deepEqual(await recordDistinct(1, { ...APP, name: 'billing' }), [true], 'another name');
  t.deepEqual(await recordDistinct(1, { ...APP, namespace: 'staging' }), [true], 'another namespace');
});

test('a token comes back every refill interval, on a schedule events do not shift', async (t) => {
  const { advance, recordDistinct } = setup({ burst: 2, refillEveryMs: 1_000 });
  t.deepEqual(await recordDistinct(3), [true, true, false]);
  advance(999);
  t.deepEqual(await recordDistinct(1), [false], 'not yet a whole interval');
  advance(501);
  t.deepEqual(await recordDistinct(2), [true, false], 'one interval, one token');
  advance(500);
  t.deepEqual(await recordDistinct(1), [true], 'due 2 s after the start, not 1 s after the last event');
});

test('idle time never saves more than the burst', async (t) => {
  const { advance, recordDistinct } = setup({ burst: 2, refillEveryMs: 1_000 });
  t.deepEqual(await recordDistinct(2), [true, true]);
  advance(60_000);
  t.deepEqual(await recordDistinct(3), [true, true, false], 'sixty intervals, still only the burst');
});

test('by default an object may send 25 events, then one per 5 minutes (client-go)', async (t) => {
  const { advance, recordDistinct } = setup();
  const burst = await recordDistinct(26);
  t.is(burst.filter(Boolean).length, 25);
  t.false(burst[25]);
  advance(299_999);
  t.deepEqual(await recordDistinct(1), [false]);
  advance(1);
  t.deepEqual(await recordDistinct(2), [true, false]);
});

test('the same reason and note for the same object is sent once per dedupe window', async (t) => {
  const { recorder, sent, logs, advance } = setup({ dedupeWindowMs: 1_000 });
  const ready = () => recorder.record(APP, 'Normal', 'Ready', '2 replicas ready.');
  t.true(await ready());
  t.false(await ready());
  advance(999);
  t.false(await ready(), 'still inside the window');
  advance(1);
  t.true(await ready(), 'the window has passed');
  t.is(sent.length, 2);
  t.deepEqual(logs, [], 'a duplicate is expected, not worth a log line');
});

test('by default the dedupe window is 10 minutes', async (t) => {
  const { recorder, advance } = setup();
  const ready = () => recorder.record(APP, 'Normal', 'Ready', '2 replicas ready.');
  t.true(await ready());
  advance(599_999);
  t.false(await ready());
  advance(1);
  t.true(await ready());
});

test('a different reason, note or object is not a duplicate', async (t) => {
  const { recorder } = setup();
  t.true(await recorder.record(APP, 'Warning', 'Degraded', 'quota exceeded'));
  t.true(await recorder.record(APP, 'Warning', 'Degraded', 'image pull failed'));
  t.true(await recorder.record(APP, 'Warning', 'NotReady', 'quota exceeded'));
  t.true(await recorder.record({ ...APP, name: 'billing' }, 'Warning', 'Degraded', 'quota exceeded'));
});

test('a duplicate does not spend the object budget', async (t) => {
  const { recorder } = setup({ burst: 2 });
  t.true(await recorder.record(APP, 'Normal', 'Ready', 'same'));
  t.false(await recorder.record(APP, 'Normal', 'Ready', 'same'));
  t.true(await recorder.record(APP, 'Normal', 'Applied', 'the second token is still there'));
});

test('forget() drops the object: a recreated object has a fresh budget and no sent history', async (t) => {
  const { recorder, sent } = setup({ burst: 1 });
  t.true(await recorder.record(APP, 'Normal', 'Ready', 'ready'));
  t.false(await recorder.record(APP, 'Normal', 'Applied', 'over budget'));
  recorder.forget({ namespace: APP.namespace, name: APP.name });
  t.true(await recorder.record(APP, 'Normal', 'Ready', 'ready'), 'neither deduplicated nor rate-limited');
  t.is(sent.length, 2);
});

test('a failing create is logged and reported as not recorded, never thrown', async (t) => {
  const { recorder, logs } = setup({ create: () => Promise.reject(new Error('forbidden')) });
  const recorded = await recorder.record(APP, 'Warning', 'Degraded', 'quota exceeded');
  t.false(recorded);
  t.deepEqual(logs, [
    { msg: 'event not recorded', fields: { ...APP, reason: 'Degraded', error: 'Error: forbidden' } },
  ]);
});

test('a create that throws synchronously is handled the same way', async (t) => {
  const { recorder, logs } = setup({
    create: () => {
      throw new Error('no connection');
    },
  });
  t.false(await recorder.record(APP, 'Warning', 'Degraded', 'quota exceeded'));
  t.is(logs[0]?.msg, 'event not recorded');
});

test('the note is cut at 1024 UTF-8 bytes, as the API server counts, never inside a character', (t) => {
  t.is(truncateUtf8('é'.repeat(1024), 1024), 'é'.repeat(512));
  t.is(truncateUtf8(`${'a'.repeat(1023)}😀`, 1024), 'a'.repeat(1023));
  t.is(truncateUtf8('short', 1024), 'short');
});
