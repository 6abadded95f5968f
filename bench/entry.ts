import { constants } from 'node:os';

/**
 * Runs a bench's `main` with its clean-up: on SIGINT or SIGTERM, and once `main` is done. The exit
 * code is 1 when `main` throws, resolves false, or the clean-up fails.
 */
export async function runBench(main: () => Promise<unknown>, cleanUp: () => Promise<void>): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(128 + constants.signals[signal])));
  }
  try {
    if ((await main()) === false) process.exitCode = 1;
  } catch (error) {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  } finally {
    await cleanUp().catch((error: unknown) => {
      process.stderr.write(`bench clean-up failed: ${String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
