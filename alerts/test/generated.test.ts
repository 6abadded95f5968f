import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { PACKAGE_DIR, RULES_FILE } from './support/rules.js';

test('alerts/dist/skeleton-rules.yaml is what `npm run generate -w alerts` writes now', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skeleton-rules-'));
  try {
    const file = join(dir, 'skeleton-rules.yaml');
    execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/generate.ts', file], { cwd: PACKAGE_DIR });
    t.is(
      readFileSync(RULES_FILE, 'utf8'),
      readFileSync(file, 'utf8'),
      'stale: run npm run generate -w alerts',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
