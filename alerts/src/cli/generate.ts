import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRules } from '../rules.js';

/** `npm run generate -w alerts` writes the committed file; a test passes another path to compare. */
const file = process.argv[2]
  ? resolve(process.argv[2])
  : join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'skeleton-rules.yaml');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, renderRules());
process.stdout.write(`wrote ${file}\n`);
