import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container, V1HTTPGetAction } from '@kubernetes/client-node';
import { writeProjectedVolume } from '../../../../api/test/support/atomic-writer.js';
import { type RunningProcess, startProcess } from '../operator-process.js';
import type { ResolvedContainer } from './container-spec.js';
import type { PodNetwork } from './pod-network.js';

/**
 * Where the container's paths are on this machine: each volume mount under `root`, and the image's
 * own folders (say `/app`) where the repository holds what the image would.
 */
export interface ContainerFilesystem {
  root: string;
  imageFolders: Record<string, string>;
}

const under = (path: string, prefix: string) =>
  path === prefix || path.startsWith(`${prefix.replace(/\/$/, '')}/`);

/** The host path of a container path: the longest mount or image folder holding it, else as it is. */
export function hostPathOf(
  path: string,
  container: ResolvedContainer,
  filesystem: ContainerFilesystem,
): string {
  const mount = container.mounts
    .map(({ mountPath }) => mountPath)
    .filter((mountPath) => under(path, mountPath))
    .sort((a, b) => b.length - a.length)[0];
  if (mount) return join(filesystem.root, path);
  const folder = Object.keys(filesystem.imageFolders)
    .filter((prefix) => under(path, prefix))
    .sort((a, b) => b.length - a.length)[0];
  return folder ? join(filesystem.imageFolders[folder] as string, path.slice(folder.length)) : path;
}

/**
 * Starts the container as a process in the pod's network namespace: volumes written first (Secrets
 * and ConfigMaps with the kubelet's `..data` layout), then the command in its working directory with
 * exactly its environment (and the host's PATH, standing in for the base image's). A variable whose
 * value is a path under a mount or an image folder gets the host path, as the container would see
 * the same file there.
 */
export async function startContainer(
  container: ResolvedContainer,
  network: PodNetwork,
  filesystem: ContainerFilesystem,
): Promise<RunningProcess> {
  for (const mount of container.mounts) {
    const dir = join(filesystem.root, mount.mountPath);
    if (mount.files === 'emptyDir') await mkdir(dir, { recursive: true });
    else await writeProjectedVolume(dir, mount.files);
  }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const [name, value] of Object.entries(container.env))
    env[name] = value.startsWith('/') ? hostPathOf(value, container, filesystem) : value;
  return startProcess('ip', ['netns', 'exec', network.namespace, ...container.argv], {
    cwd: hostPathOf(container.workingDir, container, filesystem),
    env,
  });
}

/** The URL an httpGet probe asks, from the pod's address and the port, by number or by name. */
export function probeUrl(probe: V1HTTPGetAction, container: V1Container, podIP: string): string {
  const port =
    typeof probe.port === 'number'
      ? probe.port
      : (container.ports ?? []).find(({ name }) => name === probe.port)?.containerPort;
  if (port === undefined)
    throw new Error(`probe port ${probe.port} is not a port of container ${container.name}`);
  return `${(probe.scheme ?? 'HTTP').toLowerCase()}://${podIP}:${port}${probe.path ?? '/'}`;
}

/** One probe, as the kubelet judges it: any status from 200 to 399 succeeds. */
export async function probeOnce(url: string, timeoutSeconds = 1): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    await response.arrayBuffer();
    return response.status >= 200 && response.status < 400;
  } catch {
    return false;
  }
}
