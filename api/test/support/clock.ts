import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand. */
export interface TestClock {
  clock: Clock;
  advance(seconds: number): void;
}

export function testClock(start = new Date()): TestClock {
  let now = start.getTime();
  return {
    clock: () => new Date(now),
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}
