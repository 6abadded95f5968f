import { type Logger, type LoggerOptions, pino } from 'pino';

/** Paths that may carry secrets; their values never reach a log line. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
  'd',
  '*.d',
  'privateKey',
  '*.privateKey',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerSettings {
  level: string;
  format: 'json' | 'pretty';
  service?: string;
}

export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service ?? 'skeleton-api' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  // Pretty output is for a person at a terminal; anything else (containers, CI, tests) gets JSON.
  if (settings.format === 'pretty' && destination === undefined) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true } } });
  }
  // Asynchronous writes: under load, lines written while a write is in flight go out together
  // instead of one system call per line; pino flushes what is left when the process exits.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
