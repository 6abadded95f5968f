import { type Logger, pino } from 'pino';

/**
 * JSON lines on stdout, each written before the call returns. An operator logs a few lines per
 * reconcile, so batching buys nothing, and a synchronous line is never lost or reordered by an
 * exit: asynchronous writes lost the last lines of a shutdown when the pipe was briefly full.
 */
export function createOperatorLogger(level: string): Logger {
  return pino({ level, base: { service: 'skeleton-operator' } }, pino.destination({ dest: 1, sync: true }));
}
