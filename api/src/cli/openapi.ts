import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../http/openapi/document.js';

/** Writes api/openapi.json, the committed copy of the document that test/unit/openapi.test.ts checks. */
const target = fileURLToPath(new URL('../../openapi.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);

// Biome checks JSON too and would put short arrays on one line: formatting with it here keeps
// `npm run lint` clean without a second command.
const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
execFileSync(process.execPath, [biome, 'format', '--write', target], { stdio: 'pipe' });
process.stdout.write(`wrote ${target}\n`);
