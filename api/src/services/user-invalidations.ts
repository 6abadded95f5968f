import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FAIL_FAST_REDIS_OPTIONS } from '../rate-limits/redis-client.js';

/**
 * Tells every instance that some users (their account or their sessions) changed, so each drops
 * what it remembers of them. The instance that made the change hears it at once, before it answers.
 */
export interface UserInvalidations {
  publish(userIds: readonly string[]): void;
  close(): Promise<void>;
}

export interface InvalidationListener {
  forgetUsers(userIds: readonly string[]): void;
  /** False while invalidations from other instances may be missed. */
  setUsable(usable: boolean): void;
}

/** The channel of an app: its Redis key prefix keeps apps that share one Redis apart. */
export const invalidationChannel = (redisKeyPrefix: string) => `${redisKeyPrefix}user-invalidations`;

/** One process on its own: no other instance to tell. */
export function localInvalidations(listener: InvalidationListener): UserInvalidations {
  return {
    publish: (userIds) => listener.forgetUsers(userIds),
    close: async () => {},
  };
}

/** What travels on the channel: user ids, which reveal nothing, as JSON. */
export function parseInvalidation(message: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    if (Array.isArray(parsed) && parsed.every((id) => typeof id === 'string')) return parsed;
  } catch {
    // Not JSON: ignored like any other message that is not ours.
  }
  return undefined;
}

/**
 * Redis pub/sub between instances. A subscriber that is not connected hears nothing, so from the
 * moment its connection drops until it has subscribed again the listener is told it is not usable;
 * Redis keeps no messages for absent subscribers.
 */
export function redisInvalidations(
  url: string,
  channel: string,
  listener: InvalidationListener,
  logger: Logger,
): UserInvalidations {
  listener.setUsable(false);
  const options = { ...FAIL_FAST_REDIS_OPTIONS, autoResubscribe: false, lazyConnect: true };
  const subscriber = new Redis(url, options);
  const publisher = new Redis(url, { ...options, lazyConnect: false });
  const warn = (err: Error) => logger.warn({ err }, 'invalidation Redis unreachable: principal cache off');
  subscriber.on('error', warn);
  publisher.on('error', () => {});
  subscriber.on('close', () => listener.setUsable(false));
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      // Only now is every later message heard; what was missed meanwhile was cleared with the cache.
      () => listener.setUsable(true),
      (err: Error) => {
        warn(err);
        subscriber.disconnect(true);
      },
    );
  });
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const userIds = parseInvalidation(message);
    if (userIds) listener.forgetUsers(userIds);
  });
  subscriber.connect().catch(() => {});
  return {
    publish(userIds) {
      listener.forgetUsers(userIds);
      publisher.publish(channel, JSON.stringify(userIds)).catch((err: Error) => {
        logger.warn(
          { err, userIds },
          'could not tell other instances of a user change: they hold it until their cache TTL',
        );
      });
    },
    async close() {
      subscriber.disconnect();
      if (publisher.status === 'ready') await publisher.quit();
      else publisher.disconnect();
    },
  };
}
