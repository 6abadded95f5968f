import type { V1Container, V1EnvVar, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import type { ImageConfig } from './image-config.js';

/** What the kubelet knows of the pod and reads from the API: the Downward API's fields, Secrets, ConfigMaps. */
export interface PodContext {
  name: string;
  namespace: string;
  uid: string;
  podIP: string;
  nodeName: string;
  labels: Record<string, string>;
  /** Decoded data of the Secrets the pod may name, by Secret name. */
  secrets: Record<string, Record<string, string>>;
  configMaps: Record<string, Record<string, string>>;
}

export interface ResolvedMount {
  mountPath: string;
  /** The files a Secret or ConfigMap volume projects (kubelet's `..data` layout), or an empty dir. */
  files: Record<string, string> | 'emptyDir';
}

/** A container as the kubelet would start it, every path still the container's own. */
export interface ResolvedContainer {
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  mounts: ResolvedMount[];
}

export class UnsupportedPodSpec extends Error {
  override name = 'UnsupportedPodSpec';
}

/** `$(NAME)` is replaced by an earlier variable; `$$(NAME)` escapes it; an unknown one stays as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name?: string) =>
    name === undefined ? '$' : (env[name] ?? whole),
  );
}

function fieldValue(path: string, pod: PodContext): string {
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label) return pod.labels[label[1] as string] ?? '';
  const fields: Record<string, string> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'spec.nodeName': pod.nodeName,
    'status.podIP': pod.podIP,
    'status.hostIP': pod.podIP,
  };
  const value = fields[path];
  if (value === undefined) throw new UnsupportedPodSpec(`the Downward API field ${path} is not emulated`);
  return value;
}

function keyOf(
  kind: 'Secret' | 'ConfigMap',
  source: Record<string, Record<string, string>>,
  name = '',
  key = '',
) {
  const data = source[name];
  if (!data) throw new Error(`${kind} ${name} not found: the kubelet would not start the container`);
  const value = data[key];
  if (value === undefined) throw new Error(`${kind} ${name} has no key ${key}`);
  return value;
}

function envValue(variable: V1EnvVar, env: Record<string, string>, pod: PodContext): string {
  if (variable.value !== undefined) return expand(variable.value, env);
  const from = variable.valueFrom;
  if (from?.secretKeyRef) return keyOf('Secret', pod.secrets, from.secretKeyRef.name, from.secretKeyRef.key);
  if (from?.configMapKeyRef)
    return keyOf('ConfigMap', pod.configMaps, from.configMapKeyRef.name, from.configMapKeyRef.key);
  if (from?.fieldRef) return fieldValue(from.fieldRef.fieldPath, pod);
  if (from)
    throw new UnsupportedPodSpec(`env ${variable.name}: ${Object.keys(from).join(', ')} is not emulated`);
  return '';
}

function volumeFiles(volume: V1Volume, pod: PodContext): ResolvedMount['files'] {
  if (volume.emptyDir) return 'emptyDir';
  const project = (
    kind: 'Secret' | 'ConfigMap',
    data: Record<string, string> | undefined,
    name: string,
    items?: { key: string; path: string }[],
  ) => {
    if (!data)
      throw new Error(`${kind} ${name} not found: the kubelet would not mount volume ${volume.name}`);
    if (!items) return { ...data };
    return Object.fromEntries(items.map(({ key, path }) => [path, keyOf(kind, { [name]: data }, name, key)]));
  };
  if (volume.secret) {
    const name = volume.secret.secretName ?? '';
    return project('Secret', pod.secrets[name], name, volume.secret.items);
  }
  if (volume.configMap) {
    const name = volume.configMap.name ?? '';
    return project('ConfigMap', pod.configMaps[name], name, volume.configMap.items);
  }
  throw new UnsupportedPodSpec(`volume ${volume.name}: only secret, configMap and emptyDir are emulated`);
}

/**
 * The container as the kubelet starts it: the image's entry point and command unless the container
 * replaces them, the image's environment then envFrom then env (each `$(VAR)` expanded), the working
 * directory, and what each volume mount shows. Anything not emulated is an error, never ignored.
 */
export function resolveContainer(
  spec: V1PodSpec,
  container: V1Container,
  image: ImageConfig,
  pod: PodContext,
): ResolvedContainer {
  const env: Record<string, string> = { ...image.env };
  for (const source of container.envFrom ?? []) {
    const data = source.secretRef
      ? pod.secrets[source.secretRef.name ?? '']
      : pod.configMaps[source.configMapRef?.name ?? ''];
    if (!data && !(source.secretRef?.optional || source.configMapRef?.optional))
      throw new Error(`envFrom ${source.secretRef?.name ?? source.configMapRef?.name} not found`);
    for (const [key, value] of Object.entries(data ?? {})) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) env[variable.name] = envValue(variable, env, pod);

  const command = container.command ?? image.entrypoint;
  const args = container.command || container.args ? (container.args ?? []) : image.cmd;
  const argv = [...command, ...args].map((part) => expand(part, env));
  if (argv.length === 0) throw new Error(`container ${container.name} has nothing to run`);

  const mounts = (container.volumeMounts ?? []).map((mount) => {
    if (mount.subPath || mount.subPathExpr)
      throw new UnsupportedPodSpec(`mount ${mount.name}: subPath is not emulated`);
    const volume = spec.volumes?.find(({ name }) => name === mount.name);
    if (!volume) throw new Error(`mount ${mount.name} names no volume of the pod`);
    return { mountPath: mount.mountPath, files: volumeFiles(volume, pod) };
  });
  return { argv, env, workingDir: container.workingDir ?? image.workingDir, mounts };
}
