import { type Logger, type LoggerOptions, pino } from 'pino';
import { redactSecrets } from './log-redaction.js';

export interface LoggerSettings {
  level: string;
  format: 'json' | 'pretty';
  service?: string;
}

/** What pino's own destinations (a SonicBoom, a transport's ThreadStream) offer that closing needs. */
interface LogTarget {
  write(line: string): unknown;
  end(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** Where lines go, and how to end that at exit; see closable. */
interface ClosableDestination {
  stream: pino.DestinationStream;
  /** Ends the target once every line given so far is written; `done` runs then. */
  close(done: () => void): void;
}

/**
 * The destination behind a logger, wrapped so it can be closed at exit: lines logged after that
 * (a request the shutdown deadline cut off, still finishing) are dropped. Written to the ending
 * target they would be an error thrown at, or emitted past, whatever logged them.
 */
function closable(target: LogTarget): ClosableDestination {
  let closing = false;
  return {
    stream: {
      write(line: string) {
        if (!closing) target.write(line);
      },
    },
    close(done) {
      closing = true;
      target.once('close', done);
      target.end();
    },
  };
}

const destinations = new WeakMap<Logger, ClosableDestination>();

export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service ?? 'skeleton-api' },
    // pino's own redact only reaches paths of a fixed depth; a secret may sit anywhere in what is
    // logged. (Child bindings are ids only: requestLogger binds the request and trace ids.)
    formatters: { log: redactSecrets },
  };
  if (destination !== undefined) return pino(options, destination);
  // Pretty output is for a person at a terminal; anything else (containers, CI, tests) gets JSON.
  // JSON is written asynchronously: under load, lines written while a write is in flight go out
  // together instead of one system call per line; exitAfterLogs waits for what is left.
  const target: LogTarget =
    settings.format === 'pretty'
      ? pino.transport({ target: 'pino-pretty', options: { singleLine: true } })
      : pino.destination({ dest: 1, sync: false });
  const wrapped = closable(target);
  const logger = pino(options, wrapped.stream);
  destinations.set(logger, wrapped);
  return logger;
}

/**
 * Exits once every line logged so far is written. pino's flush(cb) calls back at once when a
 * write is still waiting on a full pipe, and the flush at exit skips that write: the last lines
 * before a shutdown were lost or reordered. Ending the stream waits for that write too. A logger
 * given its own destination has nothing of ours to wait for.
 */
export function exitAfterLogs(logger: Logger, code: number): void {
  const destination = destinations.get(logger);
  if (destination === undefined) process.exit(code);
  destination.close(() => process.exit(code));
}
