import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, exitAfterLogs } from '../../../src/logger.js';

/**
 * Logs more than a pipe holds, then exits the way the API does on SIGTERM. Run with stdout on a
 * pipe its parent is not reading yet, so writes meet a full pipe (EAGAIN) while the process exits.
 * Then, as a request cut off by the shutdown deadline may, it logs once more while the exit waits.
 * Arguments: the number of lines, and the log format (json or pretty).
 */
const lines = Number(process.argv[2] ?? '500');
const format = process.argv[3] === 'pretty' ? 'pretty' : 'json';
const logger = createLogger({ level: 'info', format });
const padding = 'x'.repeat(1024);
for (let index = 0; index < lines; index += 1) logger.info({ index, padding }, 'burst');
// Time for the logger to fill the pipe, so a write is waiting on it when the process exits.
await sleep(200);
logger.info('stopped');
exitAfterLogs(logger, 0);
logger.info('late');
setImmediate(() => logger.info('later'));
