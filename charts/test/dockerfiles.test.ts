import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';

// No Docker engine runs the tests, so the images' rules are held statically: the Dockerfiles'
// instructions, and their commands against what charts renders (charts/dist is the synthesized output).

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

function dockerfile(workspace: string) {
  const text = readFileSync(join(root, workspace, 'Dockerfile'), 'utf8');
  const all = instructions(text);
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  return { text, all, final: all.slice(lastFrom) };
}

function execForm(instruction: Instruction | undefined): string[] | undefined {
  return instruction === undefined ? undefined : (JSON.parse(instruction.args) as string[]);
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { containers?: Container[] } } };
}
function objects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(join(root, 'charts', 'dist', file), 'utf8'))
    .map((doc) => doc.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
function container(file: string, kind: string, name?: string): Container {
  const object = objects(file).find(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  const found = object?.spec?.template?.spec?.containers?.[0];
  if (found === undefined) throw new Error(`no ${kind} container in charts/dist/${file}`);
  return found;
}

for (const workspace of ['api', 'operator']) {
  test(`${workspace}/Dockerfile: multi-stage, pinned bases, no remote ADD, npm ci only`, (t) => {
    const { all } = dockerfile(workspace);
    const froms = all.filter((i) => i.op === 'FROM');
    t.true(froms.length >= 2, 'multi-stage');
    // Bases come from the NODE_IMAGE build argument; its default must be a digest or an exact release.
    const nodeImage =
      all.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args.slice(11) ?? '';
    t.regex(nodeImage, /^node:(\d+\.\d+\.\d+-bookworm-slim|[\w.-]+@sha256:[0-9a-f]{64})$/);
    for (const from of froms) {
      const image = from.args.split(/\s+/)[0] ?? '';
      const stage = froms.some((f) => f.args.toLowerCase().endsWith(` as ${image.toLowerCase()}`));
      t.true(
        /^\$\{NODE_IMAGE\}$/.test(image) || stage || /@sha256:[0-9a-f]{64}$/.test(image),
        `FROM ${from.args}`,
      );
    }
    t.false(
      all.some((i) => i.op === 'ADD' && /https?:\/\//.test(i.args)),
      'no ADD from a URL',
    );
    const installs = all.filter((i) => i.op === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
    t.true(
      installs.every((i) => /\bnpm ci\b/.test(i.args)),
      'npm ci, never npm install',
    );
  });

  test(`${workspace}/Dockerfile: a numeric non-root user, no sources or tests beyond what runs`, (t) => {
    const { final } = dockerfile(workspace);
    const users = final.filter((i) => i.op === 'USER');
    t.is(users.length, 1);
    const [uid, gid] = (users[0]?.args ?? '').split(':');
    t.regex(uid ?? '', /^\d+$/);
    t.not(Number(uid), 0);
    if (gid !== undefined) t.not(Number(gid), 0);
    // Kubernetes runs this as uid 10001 (charts' pod securityContext).
    t.is(Number(uid), 10001);
    const copied = final.filter((i) => i.op === 'COPY').map((i) => i.args);
    t.false(
      copied.some((args) => /(^|\s)(\.|[\w-]+\/test)(\s|$)/.test(args)),
      'no whole-context or test copies',
    );
    t.false(
      final.some((i) => i.op === 'HEALTHCHECK'),
      'Kubernetes probes, not HEALTHCHECK',
    );
  });

  test(`${workspace}/Dockerfile: every stage that runs npm ci has every workspace's manifest first`, (t) => {
    const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const { from, instructions } of stages(dockerfile(workspace).all)) {
      const install = instructions.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
      if (install === -1) continue;
      const copied = instructions
        .slice(0, install)
        .filter((i) => i.op === 'COPY')
        .map((i) => i.args);
      for (const name of workspaces) {
        t.true(copied.includes(`${name}/package.json ${name}/`), `${from}: ${name}/package.json`);
        // A directory left out of the build context must let its manifest back in.
        const excluded = ignored.includes(name) || ignored.includes(`${name}/*`);
        t.true(
          !excluded || ignored.includes(`!${name}/package.json`),
          `.dockerignore keeps ${name}/package.json`,
        );
      }
    }
  });
}

/**
 * Each stage's instructions from its FROM up to the next, after those of the stage it is built
 * FROM (a stage holds everything its base stage put there).
 */
function stages(all: Instruction[]): Array<{ from: string; instructions: Instruction[] }> {
  const starts = all.flatMap((i, index) => (i.op === 'FROM' ? [index] : []));
  const named = new Map<string, Instruction[]>();
  return starts.map((start, n) => {
    const own = all.slice(start, starts[n + 1]);
    const from = own[0]?.args ?? '';
    const [base = '', , name] = from.toLowerCase().split(/\s+/);
    const instructions = [...(named.get(base) ?? []), ...own];
    if (name !== undefined) named.set(name, instructions);
    return { from, instructions };
  });
}

test('the root .dockerignore keeps dependencies, build output, tests, the test control plane and git out of the context', (t) => {
  const path = join(root, '.dockerignore');
  t.true(existsSync(path));
  const lines = readFileSync(path, 'utf8').split('\n');
  for (const entry of [
    '**/node_modules',
    '**/dist',
    '**/coverage',
    '.git',
    '**/test',
    '.env',
    'operator/.control-plane',
  ]) {
    t.true(lines.includes(entry), entry);
  }
});

test('api/Dockerfile: the runtime has production dependencies only', (t) => {
  const { all, final } = dockerfile('api');
  const installs = all.filter((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
  t.true(
    installs.some((i) => i.args.includes('--omit=dev')),
    'the runtime dependencies are installed with --omit=dev',
  );
  // The final stage copies its node_modules from a stage that omitted dev dependencies.
  t.true(final.some((i) => i.op === 'COPY' && /--from=deps\s+\/app\/node_modules/.test(i.args)));
});

test('operator/Dockerfile: the runtime is Node and the bundle, no dependencies beside it', (t) => {
  const { final } = dockerfile('operator');
  const copies = final.filter((i) => i.op === 'COPY').map((i) => i.args);
  t.deepEqual(copies, ['--from=build /app/operator/dist/main.mjs dist/main.mjs']);
  t.false(
    final.some((i) => i.op === 'RUN' && /\bnpm\b/.test(i.args)),
    'nothing installed at runtime',
  );
  // The bundle is what `npm run build -w operator` writes, built in the image from the sources.
  const pkg = JSON.parse(readFileSync(join(root, 'operator', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  t.truthy(pkg.scripts.build);
  t.true(
    dockerfile('operator').all.some(
      (i) => i.op === 'RUN' && /npm run build --workspace operator/.test(i.args),
    ),
  );
  t.regex(readFileSync(join(root, 'operator', 'scripts', 'build.ts'), 'utf8'), /dist\/main\.mjs/);
});

test('the API image runs what the API Deployment and the migration Job expect', (t) => {
  const { final } = dockerfile('api');
  t.false(
    final.some((i) => i.op === 'ENTRYPOINT'),
    'no ENTRYPOINT: the migration Job command replaces CMD whole',
  );
  const cmd = execForm(final.find((i) => i.op === 'CMD'));
  t.deepEqual(cmd, ['node', 'dist/main.js']);
  const workdir = final.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
  t.is(workdir, '/app/api');

  // The Deployment sets no command, so the image's CMD is what serves.
  const api = container('example-manifests.yaml', 'Deployment');
  t.is(api.command, undefined);
  t.is(api.args, undefined);

  // The migration Job runs its command from the image's working directory; tsc maps src/x.ts to dist/x.js.
  const migrate = container('example-manifests.yaml', 'Job');
  t.deepEqual(migrate.command, ['node', 'dist/cli/migrate.js', 'up']);
  for (const script of [cmd?.[1], migrate.command?.[1]]) {
    const source = (script ?? '').replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
    t.true(existsSync(join(root, 'api', source)), `${script} is compiled from api/${source}`);
  }
  // dist/ is built in the image by the tsconfig that emits there.
  const build = JSON.parse(readFileSync(join(root, 'api', 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  t.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
  t.true(
    dockerfile('api').all.some((i) => i.op === 'RUN' && i.args.includes('tsc -p api/tsconfig.build.json')),
  );
});

test("the operator image's entrypoint takes the args the operator Deployment passes", (t) => {
  const { final } = dockerfile('operator');
  const entrypoint = execForm(final.find((i) => i.op === 'ENTRYPOINT'));
  t.deepEqual(entrypoint, ['node', '--max-semi-space-size=8', '--heap-growing-percent=30', 'dist/main.mjs']);
  // A CMD would be replaced by the Deployment's args anyway; none keeps the two from disagreeing.
  t.false(final.some((i) => i.op === 'CMD'));
  t.is(final.filter((i) => i.op === 'WORKDIR').at(-1)?.args, '/app/operator');
  t.true(existsSync(join(root, 'operator', 'src', 'main.ts')));

  const operator = container('operator.yaml', 'Deployment');
  t.is(operator.command, undefined, 'the Deployment keeps the image entrypoint');
  const main = readFileSync(join(root, 'operator', 'src', 'main.ts'), 'utf8');
  for (const arg of operator.args ?? []) {
    const flag = /^--([\w-]+)/.exec(arg)?.[1];
    t.truthy(flag, arg);
    t.true(main.includes(`'${flag}'`), `operator/src/main.ts knows --${flag}`);
  }
});
