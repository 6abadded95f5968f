/**
 * Runs the fake kube-apiserver on its own, for kubectl or any client:
 *
 *   npm run kube-fake -w operator -- --port 8080 [--kubeconfig /tmp/kube-fake.kubeconfig]
 *
 * Listens on 127.0.0.1 only (--port 0 picks a free port), writes a kubeconfig for it (default: in
 * the system's temporary folder, never in the repository), prints the URL and the kubeconfig path,
 * and stops on SIGINT or SIGTERM. The simulated controllers run, so Deployments become Available
 * and Jobs complete as in a cluster. State lives in memory only.
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeApiServer } from './fake-api-server.js';
import { writeKubeconfig } from './kubeconfig.js';

const USAGE = 'usage: kube-fake --port N [--kubeconfig path]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      kubeconfig: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid --port: ${values.port}\n${USAGE}`);
  const kubeconfig = resolve(values.kubeconfig ?? join(tmpdir(), `kube-fake-${process.pid}.kubeconfig`));

  const fake = await startFakeApiServer({
    port,
    controllers: {
      deployment: { readyAfterMs: 2_000 },
      job: { decide: () => 'Complete', afterMs: 2_000 },
      hpa: true,
    },
  });
  writeKubeconfig(kubeconfig, fake.url);
  console.log(`kube-fake listening on ${fake.url}`);
  console.log(`kubeconfig written to ${kubeconfig}`);
  console.log(`try: kubectl --kubeconfig ${kubeconfig} get namespaces`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`kube-fake: ${signal}, stopping`);
    fake.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
