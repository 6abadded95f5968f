import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the go command in a module folder; a missing Go says what is needed instead of ENOENT. */
export async function goCommand(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('go', args, {
      cwd,
      env: { ...process.env, GOFLAGS: '-mod=readonly' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT')
      throw new Error(
        'the control plane is built from Go modules: install Go 1.26 or later and put it on PATH',
      );
    throw new Error(`go ${args.join(' ')} failed in ${cwd}:\n${failure.stderr ?? failure.message}`);
  }
}

/** A module version's go.mod and source folder, from the module proxy through go's module cache. */
export async function moduleSource(
  module: string,
  version: string,
  cwd: string,
): Promise<{ goMod: string; dir: string }> {
  const { stdout } = await goCommand(['mod', 'download', '-json', `${module}@${version}`], cwd);
  const { GoMod, Dir } = JSON.parse(stdout) as { GoMod?: string; Dir?: string };
  if (!GoMod || !Dir) throw new Error(`go mod download named no go.mod or folder for ${module}@${version}`);
  return { goMod: await readFile(GoMod, 'utf8'), dir: Dir };
}
