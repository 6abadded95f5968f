import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './operator-harness.js';

/** The operator workspace and the repository root, wherever the checkout is. */
export const OPERATOR_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The variables the operator reads (src/config.ts, src/kube/load-kube-config.ts): dropped from the
 * inherited environment, so a setting of the machine running the tests never changes what they see.
 */
const OPERATOR_VARIABLES = [
  'KUBECONFIG',
  'KUBERNETES_SERVICE_HOST',
  'KUBERNETES_SERVICE_PORT',
  'WATCH_NAMESPACES',
  'LEADER_ELECTION',
  'LEASE_NAME',
  'POD_NAMESPACE',
  'POD_NAME',
  'LEASE_DURATION_SECONDS',
  'RENEW_DEADLINE_SECONDS',
  'RETRY_PERIOD_SECONDS',
  'METRICS_PORT',
  'HEALTH_PORT',
  'MAX_CONCURRENT_RECONCILES',
  'SHUTDOWN_TIMEOUT_SECONDS',
  'LOG_LEVEL',
];

/** This process's environment (PATH, HOME, c8's NODE_V8_COVERAGE ...) without the operator's settings. */
export function childEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of OPERATOR_VARIABLES) delete env[name];
  return { ...env, ...settings };
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The JSON lines of stdout (pino's log lines), parsed; other lines are skipped. */
  logs(): Record<string, unknown>[];
  /** Polls the log lines until one matches, or `ms` pass (undefined). */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown> | undefined>;
  /** Polls stdout until the pattern matches, or `ms` pass (null). */
  waitForOutput(pattern: RegExp, ms?: number): Promise<RegExpExecArray | null>;
  readonly exited: Promise<ExitStatus>;
  /** Sends the signal (to the whole process group when started with `group`). */
  signal(signal: NodeJS.Signals): void;
  /** For teardown: SIGTERM, then SIGKILL if it has not exited after `ms`; resolves once it has exited. */
  stop(ms?: number): Promise<ExitStatus>;
}

export interface StartOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Its own process group (as a shell starts a command): signals reach npm and the node it runs,
   * as a terminal's Ctrl-C does.
   */
  group?: boolean;
}

/** Starts a command with its output collected, for a test to read and to stop in its teardown. */
export function startProcess(command: string, args: string[], options: StartOptions): RunningProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('close', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const logs = () =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const signal = (name: NodeJS.Signals) => {
    if (status || child.pid === undefined) return;
    try {
      if (options.group) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // Gone meanwhile.
    }
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    async waitForLog(match, ms = 45_000) {
      let found: Record<string, unknown> | undefined;
      await until(() => {
        found = logs().find(match);
        return found !== undefined || status !== undefined;
      }, ms);
      return found;
    },
    async waitForOutput(pattern, ms = 45_000) {
      await until(() => pattern.test(out) || status !== undefined, ms);
      return pattern.exec(out);
    },
    exited,
    signal,
    async stop(ms = 10_000) {
      signal('SIGTERM');
      if (!(await until(() => status !== undefined, ms))) signal('SIGKILL');
      return exited;
    },
  };
}

/** The operator's entry point, as `npm start -w operator` runs it, without npm in between. */
export function startOperatorProcess(settings: Record<string, string>, args: string[] = []): RunningProcess {
  return startProcess(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: OPERATOR_DIR,
    env: childEnvironment(settings),
  });
}

/** A GET (or another method) over HTTP, with the body as text. */
export async function httpGet(
  url: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(url, { method });
  return { status: response.status, body: await response.text(), headers: response.headers };
}
