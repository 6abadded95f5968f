import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const apiRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the API's TypeScript entry points (src/main.ts, src/cli/*.ts) as its own process. */
export function startScript(script: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(apiRoot, script), ...args], {
    cwd: apiRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  // 'close', not 'exit': only then has all of the output been read.
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

export function runScript(script: string, args: string[], env: Record<string, string>): Promise<Finished> {
  return finished(startScript(script, args, env));
}

/** Resolves with the first stdout line matching `pattern`, or rejects if the process ends first. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk) => {
      buffered += chunk;
      const match = buffered.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before printing ${pattern}:\n${buffered}`));
    });
  });
}

export interface ApiProcess {
  child: ChildProcess;
  /** Resolves when the process exits, with everything it printed. */
  output: Promise<Finished>;
  url: string;
}

/**
 * The real entry point, as `npm start` runs it, on a random port with JSON logs at debug level;
 * `env` adds to or overrides that (DATABASE_URL among others). Resolves once it listens.
 */
export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const child = startScript('src/main.ts', [], {
    PORT: '0',
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    ...env,
  });
  const output = finished(child);
  const [, url] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, output, url: url as string };
}
