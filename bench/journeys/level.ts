import { setTimeout as sleep } from 'node:timers/promises';
import type { Account, Step } from './journey.js';
import { type LevelSummary, summarize } from './summary.js';
import { runVirtualUser, type Sample, type Target } from './virtual-user.js';

export interface LevelSettings {
  /** Users start one after another over this long, so sign-ins do not all land in the same instant. */
  rampSeconds: number;
  /** The measurement window, which opens once every user has started. */
  durationSeconds: number;
  /** The mean pause after each answer; each pause is drawn uniformly from half to one and a half times it. */
  meanThinkTimeMs: number;
  plan: readonly Step[];
}

/** Runs one virtual user per account against `target` and summarizes the measurement window. */
export async function runLevel(
  target: Target,
  accounts: Account[],
  settings: LevelSettings,
): Promise<LevelSummary> {
  const samples: Sample[] = [];
  const begin = performance.now();
  const window = {
    start: begin + settings.rampSeconds * 1000,
    end: begin + (settings.rampSeconds + settings.durationSeconds) * 1000,
  };
  const spacingMs = (settings.rampSeconds * 1000) / accounts.length;
  await Promise.all(
    accounts.map(async (account, index) => {
      await sleep(index * spacingMs);
      await runVirtualUser({
        target,
        account,
        plan: settings.plan,
        thinkTimeMs: () => settings.meanThinkTimeMs * (0.5 + Math.random()),
        running: () => performance.now() < window.end,
        record: (sample) => samples.push(sample),
      });
    }),
  );
  return summarize(accounts.length, samples, window);
}
