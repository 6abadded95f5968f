import { OPERATOR_SHUTDOWN, operatorTerminationGracePeriodSeconds } from '@skeleton/charts';
import test from 'ava';
import { forcedExitSeconds, loadOperatorConfig, OperatorConfigError } from '../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadOperatorConfig(env, 'host');
    return [];
  } catch (error) {
    if (error instanceof OperatorConfigError) return error.problems.map((problem) => problem.split(':')[0]);
    throw error;
  }
};

test('defaults: every namespace, leader election 15 s / 10 s / 2 s, ports 8080 and 8081, 4 workers', (t) => {
  const config = loadOperatorConfig({}, 'operator-7d9f');
  t.deepEqual(config.watchNamespaces, []);
  t.deepEqual(config.leaderElection, {
    enabled: true,
    leaseName: 'skeleton-operator',
    namespace: 'skeleton-system',
    identity: 'operator-7d9f',
    leaseDurationSeconds: 15,
    renewDeadlineSeconds: 10,
    retryPeriodSeconds: 2,
  });
  t.like(config, {
    metricsPort: 8080,
    healthPort: 8081,
    concurrency: 4,
    shutdownTimeoutSeconds: 30,
    requireImageDigest: false,
  });
  t.deepEqual(
    config.rotation,
    { propagationDelayMs: 120_000, jwksCacheMs: 300_000, clockSkewMs: 60_000 },
    "the API's JWKS max-age is 300 s",
  );
});

test('a hanging shutdown exits by itself after the drain and the Lease release, before the kubelet kills it', (t) => {
  const config = loadOperatorConfig({}, 'operator-7d9f');
  t.is(config.shutdownTimeoutSeconds, OPERATOR_SHUTDOWN.drainSeconds, 'the drain the install is sized for');
  t.is(forcedExitSeconds(config), OPERATOR_SHUTDOWN.drainSeconds + OPERATOR_SHUTDOWN.releaseSeconds);
  t.true(operatorTerminationGracePeriodSeconds(config.shutdownTimeoutSeconds) > forcedExitSeconds(config));
  const longer = loadOperatorConfig({ SHUTDOWN_TIMEOUT_SECONDS: '120' }, 'operator-7d9f');
  t.true(operatorTerminationGracePeriodSeconds(120) > forcedExitSeconds(longer));
});

test('values come from the environment', (t) => {
  const config = loadOperatorConfig(
    {
      WATCH_NAMESPACES: 'identity, payments',
      LEADER_ELECTION: 'false',
      POD_NAME: 'pod-a',
      MAX_CONCURRENT_RECONCILES: '8',
      KEY_PROPAGATION_SECONDS: '2.5',
      JWKS_CACHE_SECONDS: '1',
      CLOCK_SKEW_SECONDS: '0.5',
      REQUIRE_IMAGE_DIGEST: 'true',
    },
    'host',
  );
  t.deepEqual(config.rotation, { propagationDelayMs: 2_500, jwksCacheMs: 1_000, clockSkewMs: 500 });
  t.deepEqual(config.watchNamespaces, ['identity', 'payments']);
  t.false(config.leaderElection.enabled);
  t.is(config.leaderElection.identity, 'pod-a');
  t.is(config.concurrency, 8);
  t.true(config.requireImageDigest);
});

test('a bad value names its variable; inconsistent lease timings are refused', (t) => {
  t.deepEqual(problemsOf({ WATCH_NAMESPACES: 'Not_A_Namespace' }), ['WATCH_NAMESPACES']);
  t.deepEqual(problemsOf({ METRICS_PORT: 'eighty' }), ['METRICS_PORT']);
  t.deepEqual(problemsOf({ MAX_CONCURRENT_RECONCILES: '0' }), ['MAX_CONCURRENT_RECONCILES']);
  t.deepEqual(problemsOf({ KEY_PROPAGATION_SECONDS: '-1' }), ['KEY_PROPAGATION_SECONDS']);
  t.deepEqual(problemsOf({ REQUIRE_IMAGE_DIGEST: 'yes' }), ['REQUIRE_IMAGE_DIGEST']);
  t.deepEqual(problemsOf({ LEASE_DURATION_SECONDS: '10', RENEW_DEADLINE_SECONDS: '10' }), [
    'LEASE_DURATION_SECONDS',
  ]);
  t.deepEqual(problemsOf({ RENEW_DEADLINE_SECONDS: '2', RETRY_PERIOD_SECONDS: '2' }), [
    'RENEW_DEADLINE_SECONDS',
  ]);
});
