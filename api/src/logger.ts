import { type Logger, type LoggerOptions, pino } from 'pino';
import { redactSecrets } from './log-redaction.js';

export interface LoggerSettings {
  level: string;
  format: 'json' | 'pretty';
  service?: string;
}

export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service ?? 'skeleton-api' },
    // pino's own redact only reaches paths of a fixed depth; a secret may sit anywhere in what is
    // logged. (Child bindings are ids only: requestLogger binds the request and trace ids.)
    formatters: { log: redactSecrets },
  };
  // Pretty output is for a person at a terminal; anything else (containers, CI, tests) gets JSON.
  if (settings.format === 'pretty' && destination === undefined) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true } } });
  }
  // Asynchronous writes: under load, lines written while a write is in flight go out together
  // instead of one system call per line; exitAfterLogs waits for what is left before exiting.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

/**
 * Exits once every line logged so far is written. pino's flush(cb) calls back at once when a
 * write is still waiting on a full pipe, and the flush at exit skips that write: the last lines
 * before a shutdown were lost or reordered. Ending the stream waits for that write too.
 */
export function exitAfterLogs(logger: Logger, code: number): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[
    pino.symbols.streamSym
  ] as NodeJS.WritableStream;
  stream.once('close', () => process.exit(code));
  stream.end();
}
