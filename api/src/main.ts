import type { AddressInfo } from 'node:net';
import { systemClock } from './clock.js';
import { createRuntime } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
import { KeySetError } from './domain/tokens/key-set.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
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

  // Node's default accept backlog (511) overflows when many clients connect at once, and every
  // dropped SYN costs its client a retransmission of a second or more; the kernel caps the value.
  const server = runtime.app.listen({ port: config.port, host: config.host, backlog: 4096 });
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const shownHost = ['0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
  logger.info(
    { url: `http://${shownHost}:${port}` },
    `skeleton API listening on http://${shownHost}:${port}`,
  );

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close(async () => {
      await runtime.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof KeySetError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `skeleton API failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exit(1);
});
