import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import { LeaderElector } from '../src/leader-election.js';
import { type FakeApiServer, startFakeApiServer } from './support/kube-fake/fake-api-server.js';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';

/**
 * LeaderElector against the fake kube-apiserver, with short durations: the Lease lasts 1 s (the Lease
 * stores whole seconds), renewals must succeed within 0.4 s, and everyone retries every 0.1 s.
 */
let fake: FakeApiServer;
let coordination: k8s.CoordinationV1Api;
const namespace = 'default';

test.before(async () => {
  fake = await startFakeApiServer();
  coordination = kubeConfigFor(fake.url).makeApiClient(k8s.CoordinationV1Api);
});

test.afterEach.always(() => {
  fake.faults.clear();
});

test.after.always(async () => {
  await fake?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = async (condition: () => boolean, ms = 3_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(5);
  return condition();
};

const LEASE_MS = 1_000;

interface Candidate {
  elector: LeaderElector;
  events: string[];
  logs: { msg: string; fields: Record<string, unknown> }[];
}

/** A candidate; `clock` is the wall clock it writes into the Lease (the system's unless given). */
function candidate(identity: string, lease: string, clock?: () => Date): Candidate {
  const events: string[] = [];
  const logs: Candidate['logs'] = [];
  const elector = new LeaderElector({
    coordination,
    namespace,
    name: lease,
    identity,
    leaseDurationSeconds: LEASE_MS / 1000,
    renewDeadlineSeconds: 0.4,
    retryPeriodSeconds: 0.1,
    clock,
    onStartedLeading: () => events.push('started'),
    onStoppedLeading: () => events.push('stopped'),
    onNewLeader: (leader) => events.push(`leader:${leader}`),
    log: (msg, fields) => logs.push({ msg, fields }),
  });
  return { elector, events, logs };
}

const readLease = (name: string) => coordination.readNamespacedLease({ name, namespace });

/** MicroTime fields come back as the wire's string; a Date is accepted too. */
const wire = (time: unknown) => (time instanceof Date ? time.toISOString() : String(time));
const millis = (time: unknown) => Date.parse(wire(time));

/** Samples isLeader() of every candidate every few ms for `ms`. */
async function sample(candidates: Candidate[], ms: number) {
  let samples = 0;
  let both = 0;
  const led = new Set<number>();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const leaders = candidates.map((c, i) => (c.elector.isLeader() ? i : -1)).filter((i) => i >= 0);
    for (const i of leaders) led.add(i);
    if (leaders.length > 1) both++;
    samples++;
    await sleep(5);
  }
  return { samples, both, led };
}

test.serial(
  'a single candidate creates the Lease, leads, renews it (renewTime advances), and releases it on stop',
  async (t) => {
    const a = candidate('a', 'single');
    const running = a.elector.run();
    t.true(await until(() => a.elector.isLeader()));

    const first = await readLease('single');
    t.is(first.spec?.holderIdentity, 'a');
    t.is(first.spec?.leaseDurationSeconds, 1);
    t.is(first.spec?.leaseTransitions, 0);
    t.regex(wire(first.spec?.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');
    t.regex(wire(first.spec?.acquireTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');

    await sleep(350);
    const later = await readLease('single');
    t.true(millis(later.spec?.renewTime) > millis(first.spec?.renewTime), 'renewTime advances');
    t.is(wire(later.spec?.acquireTime), wire(first.spec?.acquireTime), 'acquireTime stays');
    t.true(Number(later.metadata?.resourceVersion) > Number(first.metadata?.resourceVersion));
    t.true(a.elector.isLeader());

    await a.elector.stop();
    await running;
    t.false(a.elector.isLeader());
    const released = await readLease('single');
    t.falsy(released.spec?.holderIdentity, 'released: no holder');
    t.is(released.spec?.leaseDurationSeconds, 1);
    t.is(released.spec?.leaseTransitions, 0);
    t.deepEqual(a.events, ['leader:a', 'started', 'stopped']);
  },
);

test.serial('two candidates: exactly one leads, and never both at the same time', async (t) => {
  const a = candidate('a', 'pair');
  const b = candidate('b', 'pair');
  const runs = [a.elector.run(), b.elector.run()];
  const { samples, both, led } = await sample([a, b], 1_000);
  t.true(samples > 50);
  t.is(both, 0, 'never two leaders');
  t.is(led.size, 1, 'only one of them ever led');
  t.is([a, b].filter((c) => c.elector.isLeader()).length, 1);
  const leader = a.elector.isLeader() ? a : b;
  const follower = leader === a ? b : a;
  t.deepEqual(
    leader.events.filter((e) => !e.startsWith('leader:')),
    ['started'],
  );
  t.deepEqual(follower.events, [`leader:${leader === a ? 'a' : 'b'}`], 'the follower saw the leader');
  await Promise.all([a.elector.stop(), b.elector.stop()]);
  await Promise.all(runs);
});

test.serial(
  'stopping the leader releases the Lease and the other takes over well within the lease duration',
  async (t) => {
    const a = candidate('a', 'handover');
    const b = candidate('b', 'handover');
    const runs = [a.elector.run()];
    t.true(await until(() => a.elector.isLeader()));
    runs.push(b.elector.run());
    await sleep(300);
    t.false(b.elector.isLeader());

    const stoppedAt = Date.now();
    await a.elector.stop();
    t.false(a.elector.isLeader());
    t.deepEqual(a.events, ['leader:a', 'started', 'stopped']);
    t.true(await until(() => b.elector.isLeader(), LEASE_MS));
    const took = Date.now() - stoppedAt;
    t.true(took < LEASE_MS / 2, `took over after ${took} ms`);

    const lease = await readLease('handover');
    t.is(lease.spec?.holderIdentity, 'b');
    t.is(lease.spec?.leaseTransitions, 1);
    await b.elector.stop();
    await Promise.all(runs);
  },
);

test.serial(
  'a leader that dies without releasing: the other takes over once the Lease expires, not before',
  async (t) => {
    const a = candidate('a', 'crash');
    const b = candidate('b', 'crash');
    const runs = [a.elector.run()];
    t.true(await until(() => a.elector.isLeader()));
    runs.push(b.elector.run());
    await sleep(300);

    const abandonedAt = Date.now();
    await a.elector.abandon();
    t.false(a.elector.isLeader());
    t.deepEqual(a.events, ['leader:a', 'started'], 'a crashed process calls nothing');
    const last = await readLease('crash');
    t.is(last.spec?.holderIdentity, 'a', 'not released');
    const lastRenew = millis(last.spec?.renewTime);

    t.true(await until(() => b.elector.isLeader(), 3 * LEASE_MS));
    const tookOverAt = Date.now();
    t.true(
      tookOverAt >= lastRenew + LEASE_MS,
      `not before expiry (${tookOverAt - lastRenew} ms after the last renewal)`,
    );
    t.true(
      tookOverAt - abandonedAt < LEASE_MS + 500,
      `soon after (${tookOverAt - abandonedAt} ms after the crash)`,
    );

    const lease = await readLease('crash');
    t.is(lease.spec?.holderIdentity, 'b');
    t.is(lease.spec?.leaseTransitions, 1);
    await b.elector.stop();
    await Promise.all(runs);
  },
);

/** A clock running `ms` ahead of this machine's, as on a node whose time drifted. */
const skewedBy = (ms: number) => () => new Date(Date.now() + ms);

test.serial(
  'a candidate whose clock runs 20 s fast leaves a renewed Lease alone, and takes it only once it stays unchanged for the lease duration',
  async (t) => {
    const a = candidate('a', 'skewed');
    const b = candidate('b', 'skewed', skewedBy(20_000));
    const runs = [a.elector.run()];
    t.true(await until(() => a.elector.isLeader()));
    runs.push(b.elector.run());

    // By b's clock, a's renewTime is always 20 s old: far past renewTime + leaseDurationSeconds.
    const { both, led } = await sample([a, b], 3 * LEASE_MS);
    t.is(both, 0, 'never two leaders');
    t.deepEqual([...led], [0], 'only a led');
    t.deepEqual(b.events, ['leader:a']);

    await a.elector.abandon();
    const last = await readLease('skewed');
    const lastRenew = millis(last.spec?.renewTime);
    t.true(await until(() => b.elector.isLeader(), 3 * LEASE_MS));
    const tookOverAt = Date.now();
    t.true(
      tookOverAt >= lastRenew + LEASE_MS,
      `not before the lease duration after the last renewal (${tookOverAt - lastRenew} ms)`,
    );
    await b.elector.stop();
    await Promise.all(runs);
  },
);

/** Writes a Lease held by `holder`, renewed at `renewTime` by the holder's clock. */
const writeLease = (name: string, holder: string, renewTime: Date) =>
  coordination.createNamespacedLease({
    namespace,
    body: {
      metadata: { name, namespace },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: LEASE_MS / 1000,
        acquireTime: new k8s.V1MicroTime(renewTime.getTime()),
        renewTime: new k8s.V1MicroTime(renewTime.getTime()),
        leaseTransitions: 0,
      },
    },
  });

test.serial(
  'a Lease whose renewTime is long past is taken only after the candidate watched it unchanged for the lease duration',
  async (t) => {
    // Its holder's clock may be an hour slow, and the holder still alive: the record, not its times, tells.
    await writeLease('stale-looking', 'ghost', new Date(Date.now() - 3_600_000));
    const b = candidate('b', 'stale-looking');
    const startedAt = Date.now();
    const run = b.elector.run();
    t.true(await until(() => b.elector.isLeader(), 3 * LEASE_MS));
    const took = Date.now() - startedAt;
    t.true(took >= LEASE_MS, `waited a whole lease duration (${took} ms)`);
    t.true(took < LEASE_MS + 500, `and not much longer (${took} ms)`);
    t.deepEqual(b.events, ['leader:ghost', 'leader:b', 'started']);
    await b.elector.stop();
    await run;
  },
);

test.serial(
  'a Lease whose renewTime lies in the future is taken once it stays unchanged for the lease duration',
  async (t) => {
    // A holder whose clock ran 20 s fast, then died: its renewTime + duration stays ahead for 21 s.
    await writeLease('future', 'ghost', new Date(Date.now() + 20_000));
    const b = candidate('b', 'future');
    const startedAt = Date.now();
    const run = b.elector.run();
    t.true(await until(() => b.elector.isLeader(), 3 * LEASE_MS), 'took it over');
    const took = Date.now() - startedAt;
    t.true(took >= LEASE_MS && took < LEASE_MS + 500, `after a lease duration (${took} ms)`);
    await b.elector.stop();
    await run;
  },
);

test.serial('a 409 Conflict on a renewal does not make two leaders', async (t) => {
  const a = candidate('a', 'conflict');
  const b = candidate('b', 'conflict');
  const runs = [a.elector.run()];
  t.true(await until(() => a.elector.isLeader()));
  runs.push(b.elector.run());
  await sleep(200);

  const updatesBefore = fake.faults.requests.count('update', /\/leases\/conflict$/);
  fake.faults.failNext({ verb: 'update', code: 409, count: 1 });
  const { both, led } = await sample([a, b], 1_000);
  t.is(both, 0, 'never two leaders');
  t.deepEqual([...led], [0], 'only a led');
  t.true(a.elector.isLeader(), 'a retried and kept the Lease');
  t.false(b.elector.isLeader());
  t.true(fake.faults.requests.count('update', /\/leases\/conflict$/) > updatesBefore + 2);
  t.true(
    a.logs.some((log) => log.msg === 'failed to update the lease' && log.fields.code === 409),
    'the conflict was logged',
  );
  t.deepEqual(a.events, ['leader:a', 'started']);
  t.deepEqual(b.events, ['leader:a']);
  await Promise.all([a.elector.stop(), b.elector.stop()]);
  await Promise.all(runs);
});

test.serial(
  'renewals failing past renewDeadline stop leading; the candidate then acquires again',
  async (t) => {
    const a = candidate('a', 'deadline');
    const run = a.elector.run();
    t.true(await until(() => a.elector.isLeader()));
    // About 0.1 s apart, 8 failures outlast the 0.4 s renew deadline.
    fake.faults.failNext({ verb: 'update', path: /\/leases\/deadline$/, code: 500, count: 8 });
    t.true(await until(() => !a.elector.isLeader(), 1_000), 'stopped leading');
    t.deepEqual(a.events, ['leader:a', 'started', 'stopped']);
    t.true(await until(() => a.elector.isLeader(), 3_000), 'leads again');
    t.deepEqual(a.events, ['leader:a', 'started', 'stopped', 'started']);
    const lease = await readLease('deadline');
    t.is(lease.spec?.leaseTransitions, 0, 'the same holder: no transition');
    await a.elector.stop();
    await run;
  },
);

test.serial('leaseTransitions increments on every change of holder', async (t) => {
  const a = candidate('a', 'transitions');
  const b = candidate('b', 'transitions');
  const transitions = async () => (await readLease('transitions')).spec?.leaseTransitions;

  let run = a.elector.run();
  t.true(await until(() => a.elector.isLeader()));
  t.is(await transitions(), 0);
  await a.elector.stop();
  await run;
  t.is(await transitions(), 0, 'a release keeps the count');

  run = b.elector.run();
  t.true(await until(() => b.elector.isLeader()));
  t.is(await transitions(), 1);
  await b.elector.stop();
  await run;

  run = a.elector.run();
  t.true(await until(() => a.elector.isLeader()));
  t.is(await transitions(), 2);
  await a.elector.stop();
  await run;
});

test('the options are validated as client-go does', (t) => {
  const base = {
    coordination,
    namespace,
    name: 'x',
    identity: 'a',
    onStartedLeading: () => {},
    onStoppedLeading: () => {},
  };
  t.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 1, renewDeadlineSeconds: 1 }));
  t.throws(() => new LeaderElector({ ...base, renewDeadlineSeconds: 1, retryPeriodSeconds: 1 }));
  t.throws(() => new LeaderElector({ ...base, identity: '' }));
  t.notThrows(() => new LeaderElector(base));
});
