import { setTimeout as sleep } from 'node:timers/promises';
import { createOperatorLogger } from '../../../src/observability/logger.js';

/**
 * Logs more than a pipe holds, then exits the way the operator does once it has stopped. Run with
 * stdout on a pipe its parent is not reading yet, so the writes meet a full pipe.
 */
const lines = Number(process.argv[2] ?? '500');
const logger = createOperatorLogger('info');
const padding = 'x'.repeat(1024);
for (let index = 0; index < lines; index += 1) logger.info({ index, padding }, 'burst');
await sleep(200);
logger.info('stopped');
process.exit(0);
