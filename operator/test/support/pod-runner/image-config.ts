/**
 * What a container image contributes to a container: its working directory, entry point, command and
 * environment, read from the final stage of the Dockerfile that builds it (the image is never built
 * here: no Docker engine; its files are the repository, built the way that Dockerfile builds them).
 */
export interface ImageConfig {
  workingDir: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

/** `["a", "b"]` (exec form) or `a b` (shell form, run by /bin/sh -c). */
function commandOf(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return JSON.parse(trimmed) as string[];
  return ['/bin/sh', '-c', trimmed];
}

/** `ENV A=1 B="two words"` (and the legacy `ENV A 1`), continuation lines already joined. */
function envOf(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const legacy = /^(\S+)\s+([^=]*)$/.exec(text.trim());
  if (legacy && !text.includes('=')) {
    env[legacy[1] as string] = (legacy[2] as string).trim();
    return env;
  }
  for (const match of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = match[2] as string;
    env[match[1] as string] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
  }
  return env;
}

export function imageConfig(dockerfile: string): ImageConfig {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const finalStage = lines.slice(lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true));
  const config: ImageConfig = { workingDir: '/', entrypoint: [], cmd: [], env: {} };
  for (const line of finalStage) {
    const [, instruction = '', rest = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    switch (instruction.toUpperCase()) {
      case 'WORKDIR':
        config.workingDir = rest.startsWith('/') ? rest : `${config.workingDir.replace(/\/$/, '')}/${rest}`;
        break;
      case 'ENV':
        Object.assign(config.env, envOf(rest));
        break;
      case 'ENTRYPOINT':
        config.entrypoint = commandOf(rest);
        config.cmd = [];
        break;
      case 'CMD':
        config.cmd = commandOf(rest);
        break;
    }
  }
  return config;
}
