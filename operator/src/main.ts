/**
 * The operator's process: `npm start -w operator`, or the container's entry point.
 *
 * Reads its settings from the environment (src/config.ts), talks to the cluster KUBECONFIG names
 * (else the pod's service account, else ~/.kube/config), serves /healthz and /readyz on HEALTH_PORT
 * and /metrics on METRICS_PORT, and runs the SkeletonApp controller until SIGTERM or SIGINT. Then it
 * stops taking work, lets the reconciles in flight finish, releases the Lease so a standby takes
 * over at once, closes its servers and exits 0. Losing leadership exits 1, as controller-runtime's
 * managers do: the restarted process campaigns again with fresh caches.
 */
import { hostname } from 'node:os';
import { forcedExitSeconds, loadOperatorConfig, type OperatorConfig, OperatorConfigError } from './config.js';
import { startOperatorServers } from './http/operator-server.js';
import { KubeConfigError, loadKubeConfig } from './kube/load-kube-config.js';
import { createOperatorLogger } from './observability/logger.js';
import { SkeletonAppOperator } from './operator.js';

/**
 * controller-runtime's flags, which the install manifest passes; each overrides its variable.
 * `--leader-elect` alone means true.
 */
const FLAGS: Record<string, string> = {
  'leader-elect': 'LEADER_ELECTION',
  'metrics-port': 'METRICS_PORT',
  'health-port': 'HEALTH_PORT',
};
const USAGE = 'usage: main.ts [--leader-elect[=true|false]] [--metrics-port=N] [--health-port=N]';

function flagsAsEnvironment(args: string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  const problems: string[] = [];
  for (const arg of args) {
    const [, name = '', value] = /^--([a-z-]+)(?:=(.*))?$/.exec(arg) ?? [];
    const variable = FLAGS[name];
    if (variable === undefined) problems.push(`unknown argument ${arg} (${USAGE})`);
    else if (value === undefined && name !== 'leader-elect') problems.push(`--${name} needs a value`);
    else variables[variable] = value ?? 'true';
  }
  if (problems.length > 0) throw new OperatorConfigError(problems);
  return variables;
}

async function main(): Promise<void> {
  const config = loadOperatorConfig(
    { ...process.env, ...flagsAsEnvironment(process.argv.slice(2)) },
    hostname(),
  );
  const { kubeConfig, source, server } = loadKubeConfig();
  const logger = createOperatorLogger(config.logLevel);

  let stopping: string | undefined;
  const operator = new SkeletonAppOperator({
    kubeConfig,
    config,
    logger,
    onLostLeadership: () => void shutdown('lost leadership', 1),
  });
  const servers = await startOperatorServers({
    operator,
    healthPort: config.healthPort,
    metricsPort: config.metricsPort,
  });
  logger.info(
    { healthPort: servers.healthPort, metricsPort: servers.metricsPort },
    `probes on http://localhost:${servers.healthPort}/healthz and /readyz, ` +
      `metrics on http://localhost:${servers.metricsPort}/metrics`,
  );

  async function shutdown(reason: string, code: number): Promise<void> {
    if (stopping) {
      logger.warn({ reason, during: stopping }, 'second stop request: exiting without waiting');
      return process.exit(1);
    }
    stopping = reason;
    const force = setTimeout(() => {
      logger.error({ reason }, 'shutdown took too long: exiting');
      process.exit(1);
    }, forcedExitSeconds(config) * 1000);
    force.unref();
    try {
      const leading = operator.leading;
      logger.info(
        { reason, leading, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds },
        'shutting down: readiness fails, no new reconciles, those in flight may finish',
      );
      servers.beginShutdown();
      await operator.stop();
      logger.info(
        { leaseReleased: leading && config.leaderElection.enabled },
        'operator stopped: reconciles finished, caches closed',
      );
      await servers.close();
      logger.info({}, 'probe and metrics servers closed');
      logger.info({ exitCode: code }, 'stopped');
      process.exit(code);
    } catch (error) {
      logger.error({ error: String(error) }, 'shutdown failed');
      process.exit(1);
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));

  logger.info(
    {
      kubeconfig: source,
      server,
      namespaces: config.watchNamespaces.length > 0 ? config.watchNamespaces : 'all',
      leaderElection: describeElection(config),
      identity: config.leaderElection.identity,
      concurrency: config.concurrency,
    },
    'starting the SkeletonApp operator',
  );
  try {
    await operator.start();
  } catch (error) {
    // stop() before the caches had their first lists makes start() reject: that is a clean stop.
    if (stopping) return;
    throw error;
  }
  logger.info(
    {},
    config.leaderElection.enabled
      ? 'caches synced: ready; campaigning for leadership'
      : 'caches synced: ready; leading (leader election is off)',
  );
}

function describeElection({ leaderElection }: OperatorConfig) {
  if (!leaderElection.enabled) return 'off';
  const { namespace, leaseName, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } =
    leaderElection;
  return {
    lease: `${namespace}/${leaseName}`,
    leaseDurationSeconds,
    renewDeadlineSeconds,
    retryPeriodSeconds,
  };
}

main().catch((error: unknown) => {
  if (error instanceof OperatorConfigError || error instanceof KubeConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `skeleton operator failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exit(1);
});
