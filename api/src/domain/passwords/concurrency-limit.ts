export interface ConcurrencyLimitSettings {
  maxConcurrent: number;
  /** Tasks that may wait for a slot; with that many waiting, the next is refused. */
  maxWaiting: number;
  /** The error a refused task's promise rejects with. */
  refuse: () => Error;
}

export interface ConcurrencyLimit {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Throws what `run` would refuse with, when a task run now would be refused. */
  refuseIfFull(): void;
  readonly running: number;
  readonly waiting: number;
}

/**
 * Runs at most `maxConcurrent` tasks at once; up to `maxWaiting` others wait their turn in arrival
 * order, and any more are refused at once without running. A line without a bound turns a flood
 * into a wait that grows without end for everyone in it; a refusal the client can retry does not.
 */
export function concurrencyLimit({
  maxConcurrent,
  maxWaiting,
  refuse,
}: ConcurrencyLimitSettings): ConcurrencyLimit {
  let running = 0;
  const waiting: Array<() => void> = [];
  // A finishing task hands its slot straight to the next waiting one, so none can jump the queue.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };
  return {
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    refuseIfFull() {
      if (running >= maxConcurrent && waiting.length >= maxWaiting) throw refuse();
    },
    async run(task) {
      if (running < maxConcurrent) running += 1;
      else if (waiting.length < maxWaiting) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw refuse();
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
