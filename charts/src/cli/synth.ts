import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMonitoringSources } from '../monitoring/read-sources.js';
import { synthesize } from '../synth.js';

/** Writes charts/dist/ afresh, so a file the charts no longer produce does not linger. */
const charts = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(charts, 'dist');
mkdirSync(dist, { recursive: true });
for (const file of readdirSync(dist)) rmSync(join(dist, file));
const files = synthesize(readMonitoringSources(join(charts, '..')));
for (const [name, text] of Object.entries(files)) writeFileSync(join(dist, name), text);
process.stdout.write(`wrote ${Object.keys(files).length} files to charts/dist/\n`);
