import { spawn } from 'node:child_process';
import { basename, relative } from 'node:path';
import test from 'ava';
import { PACKAGE_DIR, RULES_FILE, ruleTestFiles } from './support/rules.js';

interface Run {
  code: number | null;
  output: string;
}

/** Runs promtool; a missing promtool is a failure that says how to get it, never a skip. */
function promtool(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('promtool', args, { cwd: PACKAGE_DIR });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', (error) =>
      resolve({
        code: null,
        output:
          `cannot run promtool (${error.message}). It comes with Debian's prometheus package, which ` +
          '.ci/run installs when it is missing; locally: apt-get install -y prometheus',
      }),
    );
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('promtool check rules passes with every lint, fatal', async (t) => {
  const { code, output } = await promtool([
    'check',
    'rules',
    '--lint=all',
    '--lint-fatal',
    relative(PACKAGE_DIR, RULES_FILE),
  ]);
  t.is(code, 0, output);
  t.regex(output, /SUCCESS: \d+ rules found/, output);
});

for (const file of ruleTestFiles()) {
  test(`promtool test rules ${basename(file)}`, async (t) => {
    const { code, output } = await promtool(['test', 'rules', relative(PACKAGE_DIR, file)]);
    t.is(code, 0, output);
    t.regex(output, /SUCCESS/, output);
  });
}

test('there are promtool rule tests to run', (t) => {
  t.true(ruleTestFiles().length > 0);
});
