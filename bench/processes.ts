import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../api/test/support/free-port.js';

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

// Kept at module level so a signal arriving mid-start still finds every child to kill.
const running = new Set<ChildProcess>();

export interface ServerSpec {
  name: string;
  cwd: string;
  script: string;
  readyPath: string;
  env: Record<string, string>;
  /** The environment `env` is added to (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
  /** The variable the server takes its port from (default PORT); the probe goes to that port. */
  portVariable?: string;
  /** Node options before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Drop the server's stdout (a log line per request under load) instead of passing it to our stderr. */
  discardStdout?: boolean;
}

export interface RunningServer {
  origin: string;
  pid: number;
  /** Resolves once the readiness probe answers; the API's probe queues behind any backlog of database work. */
  settle(): Promise<void>;
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function waitUntilReady(name: string, child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode})`);
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    if (response?.ok) return;
    await sleep(100);
  }
  throw new Error(`${name} did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s`);
}

/** Starts a server in its own process, so it never shares an event loop with the load generator. */
export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // TypeScript sources run through tsx; a built script (the operator's bundle) runs as it would deployed.
  const loader = spec.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), ...loader, spec.script], {
    cwd: spec.cwd,
    env: {
      ...(spec.baseEnv ?? process.env),
      ...spec.env,
      HOST: '127.0.0.1',
      [spec.portVariable ?? 'PORT']: String(port),
    },
    // The servers' stdout goes to our stderr so that our stdout carries only the report.
    stdio: ['ignore', spec.discardStdout ? 'ignore' : 2, 2],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const settle = () => waitUntilReady(spec.name, child, `${origin}${spec.readyPath}`);
  await settle();
  return { origin, pid: child.pid as number, settle };
}

async function stop(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false)]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map(stop));
}

const repositoryRoot = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** The bare Koa hello server the API's figures are divided by. */
export const startBareKoa = () =>
  startServer({
    name: 'bare Koa server',
    cwd: repositoryRoot(''),
    script: 'bench/bare-koa-server.ts',
    readyPath: '/',
    env: {},
  });

/** The API from its sources, as `npm start` runs it; ready once its readiness probe answers. */
export const startApiServer = (env: Record<string, string>, options: Partial<ServerSpec> = {}) =>
  startServer({
    name: 'API',
    cwd: repositoryRoot('api'),
    script: 'src/main.ts',
    readyPath: '/health/ready',
    env,
    ...options,
  });
