import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../../api/test/support/free-port.js';
import { ensureBinaries } from './build.js';
import {
  type Component,
  components,
  kubeconfigDocument,
  kwokNode,
  type Layout,
  type Ports,
} from './components.js';
import { KWOK_MODULE_DIR, pinnedVersions } from './go-modules.js';
import { moduleSource } from './go-tool.js';
import { kwokStages } from './kwok-stages.js';
import { createPki, IDENTITIES, type Identity } from './pki.js';

/** Where the control plane keeps its binaries and its running state; ignored by git. */
export const DEFAULT_STATE_DIR = fileURLToPath(new URL('../../../.control-plane', import.meta.url));

export interface RunningState {
  startedAt: string;
  versions: ReturnType<typeof pinnedVersions>;
  ports: Ports;
  server: string;
  adminKubeconfig: string;
  processes: { name: string; pid: number; command: string; log: string }[];
}

type Log = (line: string) => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stateFile = (stateDir: string) => join(stateDir, 'run', 'state.json');

export async function readState(stateDir = DEFAULT_STATE_DIR): Promise<RunningState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(stateDir), 'utf8')) as RunningState;
  } catch {
    return undefined;
  }
}

/** Whether a pid still runs the program we started (a pid can be reused once ours has exited). */
export function isOurs(pid: number, command: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.split('\0')[0] === command;
  } catch {
    return false;
  }
}

/** Requests to kube-apiserver as the admin, trusting only the control plane's own CA. */
export async function adminClient(kubeconfigPath: string) {
  const kubeconfig = JSON.parse(await readFile(kubeconfigPath, 'utf8'));
  const cluster = kubeconfig.clusters[0].cluster;
  const token: string = kubeconfig.users[0].user.token;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const at = (path: string) => new URL(path, cluster.server);
  return {
    get: (path: string) => send('GET', at(path), token, ca),
    send: (method: string, path: string, body: unknown, contentType?: string) =>
      send(method, at(path), token, ca, body, contentType),
  };
}

function send(
  method: string,
  url: URL,
  token: string,
  ca: Buffer,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': contentType,
          accept: 'application/json',
        },
        timeout: 5_000,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitFor(
  what: string,
  ms: number,
  check: () => Promise<boolean>,
  died: () => string | undefined,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const dead = died();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(100);
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts one component detached, with its output in its own log file, and records it at once. */
async function startComponent(component: Component, logDir: string, state: RunningState, stateDir: string) {
  const log = join(logDir, `${component.name}.log`);
  const out = openSync(log, 'a');
  const child = spawn(component.command, component.args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  if (child.pid === undefined) throw new Error(`${component.name} did not start`);
  state.processes.push({ name: component.name, pid: child.pid, command: component.command, log });
  await writeFile(stateFile(stateDir), `${JSON.stringify(state, null, 2)}\n`);
  const pid = child.pid;
  return () => (isOurs(pid, component.command) ? undefined : `${component.name} exited:\n${tail(log)}`);
}

/**
 * Registers a node kwok plays the kubelet for, as a kubelet registers its own, and waits for kwok to
 * report it Ready. Node admission taints a new node not-ready; node-lifecycle-controller, left out
 * (the node is kwok's, with no heartbeat to judge), would lift the taint once the node is Ready, so
 * this does. The control plane starts with kwok-node-0; a load that needs more pods adds more.
 */
export async function readyKwokNode(
  admin: Awaited<ReturnType<typeof adminClient>>,
  died: () => string | undefined,
  name = 'kwok-node-0',
) {
  const node = `/api/v1/nodes/${name}`;
  const created = await admin.send('POST', '/api/v1/nodes', kwokNode(name));
  if (created.status !== 201)
    throw new Error(`the kwok node was not created: ${created.status} ${created.body}`);
  await waitFor(
    'the kwok node Ready',
    60_000,
    async () => {
      const conditions = (JSON.parse((await admin.get(node)).body).status?.conditions ?? []) as {
        type: string;
        status: string;
      }[];
      return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
    },
    died,
  );
  const untainted = await admin.send(
    'PATCH',
    node,
    [{ op: 'replace', path: '/spec/taints', value: [] }],
    'application/json-patch+json',
  );
  if (untainted.status !== 200)
    throw new Error(`the kwok node kept its taint: ${untainted.status} ${untainted.body}`);
}

export interface UpReport {
  state: RunningState;
  /** Whether a running control plane was found and kept. */
  reused: boolean;
  built: { key: string; seconds: number }[];
  /** Seconds from the first process start to a ready API server with its node and controllers. */
  startSeconds: number;
}

/**
 * Builds what is missing and starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
 * kwok on loopback; returns once /readyz answers ok, the kwok node is Ready and the controllers have
 * made the default ServiceAccount. A control plane already running and ready is reused as it is.
 */
export async function up(stateDir = DEFAULT_STATE_DIR, log: Log = () => {}): Promise<UpReport> {
  const existing = await readState(stateDir);
  if (existing && (await isHealthy(existing))) {
    return { state: existing, reused: true, built: [], startSeconds: 0 };
  }
  if (existing) {
    log('a previous control plane is not healthy; stopping what is left of it');
    await down(stateDir);
  }
  const { binaries, built } = await ensureBinaries(join(stateDir, 'bin'), log);

  const runDir = join(stateDir, 'run');
  await rm(runDir, { recursive: true, force: true });
  const logDir = join(runDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const pkiDir = join(runDir, 'pki');
  await mkdir(pkiDir, { recursive: true });
  const pki = await createPki(pkiDir);

  const ports: Ports = {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiServer: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiServer}`;
  const layout: Layout = {
    dir: runDir,
    etcdData: join(runDir, 'etcd'),
    kubeconfigs: {
      admin: join(runDir, 'admin.kubeconfig'),
      controllerManager: join(runDir, 'kube-controller-manager.kubeconfig'),
      scheduler: join(runDir, 'kube-scheduler.kubeconfig'),
      kwok: join(runDir, 'kwok.kubeconfig'),
    },
    kwokConfig: join(runDir, 'kwok.yaml'),
  };
  const caPem = await readFile(pki.caCert, 'utf8');
  const writeKubeconfig = (path: string, identity: Identity) =>
    writeFile(path, kubeconfigDocument(server, caPem, IDENTITIES[identity].user, pki.tokens[identity]), {
      mode: 0o600,
    });
  await writeKubeconfig(layout.kubeconfigs.admin, 'admin');
  await writeKubeconfig(layout.kubeconfigs.controllerManager, 'kube-controller-manager');
  await writeKubeconfig(layout.kubeconfigs.scheduler, 'kube-scheduler');
  await writeKubeconfig(layout.kubeconfigs.kwok, 'kwok');
  const versions = pinnedVersions();
  const kwokSource = await moduleSource('sigs.k8s.io/kwok', versions.kwok, KWOK_MODULE_DIR);
  await writeFile(layout.kwokConfig, await kwokStages(kwokSource.dir));

  const state: RunningState = {
    startedAt: new Date().toISOString(),
    versions,
    ports,
    server,
    adminKubeconfig: layout.kubeconfigs.admin,
    processes: [],
  };
  const started = Date.now();
  const [etcd, apiServer, ...controllers] = components(binaries, ports, pki, layout);
  const admin = await adminClient(layout.kubeconfigs.admin);
  try {
    const etcdDied = await startComponent(etcd as Component, logDir, state, stateDir);
    await waitFor(
      'etcd health',
      30_000,
      async () => {
        const response = await fetch(`http://127.0.0.1:${ports.etcdClient}/health`);
        return response.ok;
      },
      etcdDied,
    );
    const apiDied = await startComponent(apiServer as Component, logDir, state, stateDir);
    await waitFor(
      'kube-apiserver /readyz',
      120_000,
      async () => (await admin.get('/readyz')).body === 'ok',
      apiDied,
    );
    log(`kube-apiserver ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const deaths: (() => string | undefined)[] = [];
    for (const component of controllers)
      deaths.push(await startComponent(component, logDir, state, stateDir));
    const anyDied = () => deaths.map((died) => died()).find(Boolean);
    await readyKwokNode(admin, anyDied);
    await waitFor(
      'the default ServiceAccount (kube-controller-manager)',
      60_000,
      async () => {
        return (await admin.get('/api/v1/namespaces/default/serviceaccounts/default')).status === 200;
      },
      anyDied,
    );
  } catch (error) {
    await down(stateDir);
    throw error;
  }
  return { state, reused: false, built, startSeconds: (Date.now() - started) / 1000 };
}

/** Every recorded process still runs, and kube-apiserver answers /readyz with ok. */
export async function isHealthy(state: RunningState): Promise<boolean> {
  if (!state.processes.every(({ pid, command }) => isOurs(pid, command))) return false;
  if (!existsSync(state.adminKubeconfig)) return false;
  try {
    return (await (await adminClient(state.adminKubeconfig)).get('/readyz')).body === 'ok';
  } catch {
    return false;
  }
}

/** Stops exactly the processes `up` recorded (newest first), then drops their data. */
export async function down(stateDir = DEFAULT_STATE_DIR): Promise<string[]> {
  const state = await readState(stateDir);
  const stopped: string[] = [];
  for (const { name, pid, command } of [...(state?.processes ?? [])].reverse()) {
    if (!isOurs(pid, command)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isOurs(pid, command) && Date.now() < deadline) await sleep(50);
    if (isOurs(pid, command)) process.kill(pid, 'SIGKILL');
    while (isOurs(pid, command)) await sleep(20);
    stopped.push(name);
  }
  await rm(join(stateDir, 'run', 'etcd'), { recursive: true, force: true });
  await rm(stateFile(stateDir), { force: true });
  return stopped;
}

interface ComponentStatus {
  name: string;
  pid: number;
  running: boolean;
  /** Resident memory in MiB, from /proc, when it runs. */
  rssMiB?: number;
}

export function componentStatus(state: RunningState): ComponentStatus[] {
  return state.processes.map(({ name, pid, command }) => {
    const running = isOurs(pid, command);
    if (!running) return { name, pid, running };
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { name, pid, running, rssMiB: rss ? Math.round(Number(rss) / 1024) : undefined };
  });
}
