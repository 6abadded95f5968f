import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenForApi, loadProtocol } from './api-listener.js';
import { systemClock } from './clock.js';
import { createRuntime } from './compose.js';
import type { Config } from './config.js';
import { closeGracefully, listen } from './http-server.js';
import { createLogger, exitAfterLogs } from './logger.js';
import { metricsRequestHandler } from './observability/metrics-server.js';
import type { Telemetry } from './telemetry.js';

/**
 * Runs the API until SIGTERM or SIGINT, then shuts down in the order Kubernetes needs: fail
 * readiness and keep serving while endpoints are updated, stop accepting, let in-flight requests
 * finish (up to a deadline), close pools and exporters, exit 0.
 */
export async function serve(config: Config, telemetry: Telemetry): Promise<void> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const protocol = await loadProtocol(config.protocol);
  const runtime = await createRuntime(config, { logger, clock: systemClock });
  const { database } = runtime;
  if (database.kind === 'pglite') {
    logger.warn(
      { dataDir: database.location },
      'DATABASE_URL is not set: using the embedded PGlite database (development only)',
    );
  } else {
    logger.info({ database: database.location }, 'using PostgreSQL');
  }

  const api = await listenForApi(runtime.app.callback(), config.host, config.port, protocol);
  const metricsServer: Server | undefined =
    config.metricsPort === undefined
      ? undefined
      : await listen(metricsRequestHandler(runtime.metrics.registry), config.host, config.metricsPort);
  logger.info({ url: api.url, protocol: protocol.kind }, `skeleton API listening on ${api.url}`);

  const shutdown = async (signal: string) => {
    if (runtime.lifecycle.draining) return;
    runtime.lifecycle.draining = true;
    logger.info({ signal, delaySeconds: config.shutdownDelaySeconds }, 'draining: readiness now fails');
    await sleep(config.shutdownDelaySeconds * 1000);
    await api.close(config.shutdownTimeoutSeconds * 1000);
    if (metricsServer) await closeGracefully(metricsServer, 1000);
    await runtime.close();
    await telemetry.shutdown();
    logger.info('stopped');
    exitAfterLogs(logger, 0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
