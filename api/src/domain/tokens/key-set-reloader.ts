import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../../clock.js';
import { type KeySet, parseKeySetText, readKeySetText } from './key-set.js';

export interface DirectoryWatch {
  close(): void;
}

/** Calls `onChange` after any change among the entries of `directory`, `onError` if watching breaks. */
export type WatchDirectory = (
  directory: string,
  onChange: () => void,
  onError: (error: Error) => void,
) => DirectoryWatch;

/** inotify on Linux; not persistent, so a watch left open never keeps the process alive. */
export const watchDirectory: WatchDirectory = (directory, onChange, onError) =>
  watch(directory, { persistent: false }, () => onChange()).on('error', onError);

export interface ReloadLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface KeySetMetrics {
  recordKeySetReload(result: 'success' | 'failure'): void;
  observeKeySet(keySet: KeySet, loadedAt: Date): void;
}

export interface KeySetReloaderOptions {
  /** JWT_KEYS_FILE. */
  path: string;
  logger: ReloadLogger;
  metrics: KeySetMetrics;
  clock: Clock;
  /**
   * How often the file is read even without an event: inotify drops events when its queue
   * overflows, and a watch may not be possible at all (the per-user watch limit).
   */
  checkIntervalMs?: number;
  /** Quiet time after the last event before the file is read: one kubelet swap is several events. */
  debounceMs?: number;
  watch?: WatchDirectory;
}

/** `refused`: the file differs from the key set in use but is unreadable or invalid, so that set stays. */
export type CheckOutcome = 'unchanged' | 'reloaded' | 'refused';

export interface KeySetReloader {
  /** The key set in use: the last valid content of the file. */
  keys(): KeySet;
  /** Reads the file now, after any check already running. */
  check(): Promise<CheckOutcome>;
  /** Stops watching and checking; resolves when a check in progress has finished. */
  close(): Promise<void>;
}

const fingerprint = (text: string) => createHash('sha256').update(text).digest('hex');

/** What may be logged about a key set: ids and states, never key material. */
const describe = (keySet: KeySet) => [...keySet.byKid.values()].map(({ kid, state }) => ({ kid, state }));

/**
 * Loads JWT_KEYS_FILE and keeps `keys()` on its last valid content. In Kubernetes the file is in
 * a Secret volume: the kubelet writes a new timestamped directory and renames a `..data` symlink
 * over the old one, so the file's own inode never changes and only a watch of its directory sees
 * the swap. Throws (KeySetError) only when the first load fails; after that a bad file is logged,
 * counted and otherwise ignored, because refusing every token would be worse than old keys.
 */
export async function startKeySetReloader({
  path,
  logger,
  metrics,
  clock,
  checkIntervalMs = 10_000,
  debounceMs = 100,
  watch = watchDirectory,
}: KeySetReloaderOptions): Promise<KeySetReloader> {
  const firstText = await readKeySetText(path);
  let keySet = await parseKeySetText(firstText, path);
  // Fingerprints of the content in use and of the last refused content (or read error), so an
  // unchanged file is not parsed again and a broken one is not logged again at every check.
  let inUse = fingerprint(firstText);
  let refused: string | undefined;
  metrics.observeKeySet(keySet, clock());

  /** Counted at every check while the file stays bad, so an alert lasts as long; logged once. */
  const refuse = (content: string, reason?: string): CheckOutcome => {
    metrics.recordKeySetReload('failure');
    if (content !== refused) {
      refused = content;
      logger.warn(
        { path, reason, keysInUse: describe(keySet) },
        'JWT key set not reloaded: the last good key set stays in use',
      );
    }
    return 'refused';
  };

  const attempt = async (): Promise<CheckOutcome> => {
    let text: string;
    try {
      text = await readKeySetText(path);
    } catch (error) {
      // A read error has no content: its message stands for it.
      const reason = (error as Error).message;
      return refuse(reason, reason);
    }
    const content = fingerprint(text);
    if (content === inUse) return 'unchanged';
    if (content === refused) return refuse(content);
    try {
      keySet = await parseKeySetText(text, path);
    } catch (error) {
      // KeySetError messages name the problem without quoting the file.
      return refuse(content, (error as Error).message);
    }
    inUse = content;
    refused = undefined;
    metrics.recordKeySetReload('success');
    metrics.observeKeySet(keySet, clock());
    logger.info({ path, keys: describe(keySet) }, 'JWT key set reloaded');
    return 'reloaded';
  };

  let last: Promise<CheckOutcome> = Promise.resolve('unchanged');
  // One check at a time: two overlapping reads could otherwise finish in the wrong order.
  const check = () => {
    last = last.then(attempt);
    return last;
  };

  let debounce: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), debounceMs).unref();
  };
  const poll = setInterval(() => void check(), checkIntervalMs).unref();

  const directory = dirname(path);
  let directoryWatch: DirectoryWatch | undefined;
  const stopWatching = (error: Error) => {
    directoryWatch?.close();
    directoryWatch = undefined;
    logger.warn(
      { path, directory, reason: error.message, checkIntervalMs },
      'cannot watch the JWT key-set directory; changes are picked up by the periodic check only',
    );
  };
  try {
    directoryWatch = watch(directory, soon, stopWatching);
  } catch (error) {
    stopWatching(error as Error);
  }

  return {
    keys: () => keySet,
    check,
    async close() {
      clearInterval(poll);
      clearTimeout(debounce);
      directoryWatch?.close();
      directoryWatch = undefined;
      await last;
    },
  };
}
