import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../api/test/support/free-port.js';

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 5;

/**
 * Milliseconds from spawning `node <script>` until its readiness probe first answers 200, then
 * stops it. The probe is polled every few milliseconds, so the figure is the start, not the poll.
 */
export async function timeToReady(script: string, cwd: string, env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [script], {
    cwd,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  try {
    while (performance.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null)
        throw new Error(`${script} exited with ${child.exitCode} before it was ready`);
      const answer = await fetch(`http://127.0.0.1:${port}/health/ready`, {
        signal: AbortSignal.timeout(1_000),
      }).catch(() => undefined);
      if (answer?.status === 200) return performance.now() - started;
      await sleep(POLL_MS);
    }
    throw new Error(`${script} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
