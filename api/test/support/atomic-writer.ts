import { randomInt } from 'node:crypto';
import { chmod, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** Lets the one expected error through as `undefined`. */
const tolerate = (code: string) => (error: NodeJS.ErrnoException) => {
  if (error.code !== code) throw error;
  return undefined;
};

/** `..2026_11_25_10_00_00.123456789`: UTC to the second, then a random number, as the kubelet names it. */
function timestampedName(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}_${two(now.getUTCMonth() + 1)}_${two(now.getUTCDate())}`;
  const time = `${two(now.getUTCHours())}_${two(now.getUTCMinutes())}_${two(now.getUTCSeconds())}`;
  return `..${date}_${time}.${randomInt(2 ** 32)}`;
}

const topLevel = (path: string) => path.split('/')[0] as string;

/**
 * Writes `files` into `dir` as the kubelet's AtomicWriter projects a Secret or ConfigMap volume:
 * the payload goes into a new timestamped directory, each top-level name in `dir` is a symlink to
 * `..data/<name>` (made once, never replaced), a `..data_tmp` symlink to the new directory is
 * renamed over `..data` (the one atomic step: readers see the old or the new payload, never a
 * mix), top-level names the payload no longer has are removed, and the previous timestamped
 * directory is deleted. Unlike the kubelet, an unchanged payload is written again, so tests can
 * prove a reader ignores a swap that changes nothing. Paths are relative, `/`-separated, and may
 * not start with `..`.
 */
export async function writeProjectedVolume(dir: string, files: Record<string, string>): Promise<void> {
  for (const path of Object.keys(files)) {
    if (path === '' || isAbsolute(path) || path.startsWith('..') || path.split('/').includes('..'))
      throw new Error(`invalid projected path: ${JSON.stringify(path)}`);
  }
  await mkdir(dir, { recursive: true });
  const dataLink = join(dir, DATA);
  const oldName = await readlink(dataLink).catch(tolerate('ENOENT'));
  const oldNames = oldName === undefined ? [] : await readdir(join(dir, oldName));

  const newName = timestampedName(new Date());
  const newDir = join(dir, newName);
  await mkdir(newDir);
  await chmod(newDir, 0o755);
  for (const [path, content] of Object.entries(files)) {
    const file = join(newDir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
    await chmod(file, 0o644);
  }

  const names = new Set(Object.keys(files).map(topLevel));
  for (const name of names) {
    await symlink(join(DATA, name), join(dir, name)).catch(tolerate('EEXIST'));
  }

  await symlink(newName, join(dir, DATA_TMP));
  await rename(join(dir, DATA_TMP), dataLink);

  for (const name of oldNames) if (!names.has(name)) await rm(join(dir, name));
  if (oldName !== undefined) await rm(join(dir, oldName), { recursive: true, force: true });
}
