import { componentStatus, DEFAULT_STATE_DIR, down, isHealthy, readState, up } from './control-plane.js';
import { staleReplaces, writeStagingReplaces } from './staging-replaces.js';

/**
 * npm run control-plane -- up | down | status | generate
 *
 * `up` prints the admin kubeconfig's path as its last line, so scripts can take it with `tail -1`.
 * CONTROL_PLANE_DIR moves the state folder (binaries and running state) elsewhere.
 */
const stateDir = process.env.CONTROL_PLANE_DIR ?? DEFAULT_STATE_DIR;
const say = (line: string) => process.stderr.write(`control-plane: ${line}\n`);

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const stale = await staleReplaces();
      if (stale.missing.length + stale.extra.length > 0) {
        say(
          `the staging replaces in go.mod do not match the pinned release; run: npm run control-plane -- generate`,
        );
        return 1;
      }
      const report = await up(stateDir, say);
      if (report.reused) say('already running');
      else say(`started in ${report.startSeconds.toFixed(1)} s (${report.state.versions.kubernetes})`);
      process.stdout.write(`${report.state.adminKubeconfig}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await down(stateDir);
      say(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      const state = await readState(stateDir);
      if (!state) {
        process.stdout.write('not running\n');
        return 3;
      }
      for (const component of componentStatus(state)) {
        const detail = component.running
          ? `running, pid ${component.pid}, ${component.rssMiB} MiB`
          : 'not running';
        process.stdout.write(`${component.name.padEnd(24)} ${detail}\n`);
      }
      const healthy = await isHealthy(state);
      process.stdout.write(`${'kube-apiserver /readyz'.padEnd(24)} ${healthy ? 'ok' : 'not ready'}\n`);
      process.stdout.write(`${'admin kubeconfig'.padEnd(24)} ${state.adminKubeconfig}\n`);
      return healthy ? 0 : 3;
    }
    case 'generate': {
      await writeStagingReplaces();
      say('go.mod staging replaces rewritten from the pinned release');
      return 0;
    }
    default:
      process.stderr.write('usage: npm run control-plane -- up | down | status | generate\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: Error) => {
    say(error.message);
    process.exit(1);
  },
);
