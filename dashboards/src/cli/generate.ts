import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from '../generate.js';

/** Writes dashboards/dist/ afresh, so a dashboard no longer built does not linger. */
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
mkdirSync(dist, { recursive: true });
for (const file of readdirSync(dist)) rmSync(join(dist, file));
const files = renderDashboards();
for (const [name, text] of Object.entries(files)) writeFileSync(join(dist, name), text);
process.stdout.write(`wrote ${Object.keys(files).length} files to dashboards/dist/\n`);
