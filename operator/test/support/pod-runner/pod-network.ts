import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A pod's own network: a namespace joined to the host by a veth pair, as a CNI plugin would make it. */
export interface PodNetwork {
  namespace: string;
  /** The pod's address, which probes and clients use. */
  podIP: string;
  /** The host's end, which the pod reaches the host's services through. */
  hostIP: string;
  close(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('pods need iproute2 (ip) for their network namespaces');
    throw new Error(
      `ip ${args.join(' ')}: ${failure.stderr ?? failure.message} (network namespaces need root)`,
    );
  }
}

/** A /30 of 10.201.0.0/16 chosen at random, so pods of tests running at once do not meet. */
export async function createPodNetwork(): Promise<PodNetwork> {
  const block = randomInt(0, 16_384) * 4;
  const base = `10.201.${Math.floor(block / 256)}.`;
  const hostIP = `${base}${(block % 256) + 1}`;
  const podIP = `${base}${(block % 256) + 2}`;
  const id = block.toString(36);
  const namespace = `skpod-${id}`;
  const hostEnd = `skh${id}`;
  const podEnd = `skp${id}`;
  await ip('netns', 'add', namespace);
  const close = async () => {
    await ip('netns', 'delete', namespace).catch(() => undefined);
    await ip('link', 'delete', hostEnd).catch(() => undefined);
  };
  try {
    await ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', podEnd);
    await ip('link', 'set', podEnd, 'netns', namespace);
    await ip('addr', 'add', `${hostIP}/30`, 'dev', hostEnd);
    await ip('link', 'set', hostEnd, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${podIP}/30`, 'dev', podEnd);
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', podEnd, 'up');
    await ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
    await ip('netns', 'exec', namespace, 'ip', 'route', 'add', 'default', 'via', hostIP);
  } catch (error) {
    await close();
    throw error;
  }
  return { namespace, podIP, hostIP, close };
}
