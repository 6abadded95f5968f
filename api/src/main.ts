import { ConfigError, loadConfig } from './config.js';
import { KeySetError } from './domain/tokens/key-set.js';
import { startTelemetry } from './telemetry.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const telemetry = await startTelemetry(config.telemetry);
  // Imported only now: instrumentation patches koa, http and pg as they load, so they must load after it.
  const { serve } = await import('./serve.js');
  await serve(config, telemetry);
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
