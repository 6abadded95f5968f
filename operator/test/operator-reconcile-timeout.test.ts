import test from 'ava';
import { kubeConfigFor } from './support/kube-fake/kubeconfig.js';
import { exampleApp, startCluster, startOperator, until } from './support/operator-harness.js';
import { type RecordedRequest, startRecordingProxy } from './support/recording-proxy.js';

/**
 * A reconcile stuck on a request past its timeout: the request is aborted on the wire, and the
 * app's next pass starts only once the stuck one has let go (on a real cluster, passes abandoned by
 * a timeout that only stopped waiting for them piled up: five of one app at once).
 */
test('a reconcile past its timeout aborts its request, and the next pass waits for it to settle', async (t) => {
  const cluster = await startCluster();
  t.teardown(() => cluster.close());
  await cluster.createNamespace('identity');
  const proxy = await startRecordingProxy(cluster.fake.url);
  t.teardown(() => proxy.close());
  // Every creation of the app's key-set Secret would be answered after 3 s: far past the timeout.
  cluster.fake.faults.addLatency({ verb: 'create', path: '/api/v1/namespaces/identity/secrets', ms: 3_000 });
  const operator = await startOperator(
    { ...cluster, operatorKubeConfig: kubeConfigFor(proxy.url) },
    { reconcileTimeoutMs: 200, queue: { backoff: { baseMs: 10, maxMs: 10 } } },
  );
  t.teardown(() => operator.stop());
  await cluster.createApp(exampleApp('accounts', 'identity'));

  const creates = () =>
    proxy.requests.filter(
      (request): request is Required<RecordedRequest> =>
        request.method === 'POST' && request.url.includes('/secrets') && request.endedAt !== undefined,
    );
  t.true(await until(() => creates().length >= 3, 10_000), 'three passes reached the Secret');
  const settled = creates();
  for (const [index, read] of settled.slice(0, 2).entries()) {
    t.true(read.abandoned, 'the operator hung up: the request was aborted');
    t.true(read.endedAt - read.startedAt < 1_500, 'at the timeout, not when the answer would have come');
    const next = settled[index + 1];
    t.true(next !== undefined && next.startedAt >= read.endedAt, 'the next pass began once this one let go');
  }
  const failure = operator.logger.lines.find((line) => line.msg === 'reconcile failed; retrying');
  t.is(failure?.fields.error, 'reconcile of identity/accounts took longer than 200 ms');
});
