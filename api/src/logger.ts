import { type Logger, pino } from 'pino';

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
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: 'skeleton-api' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
