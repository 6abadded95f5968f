import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { synthesize } from '../src/synth.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const files = synthesize();

test('charts/dist is what the code synthesizes now (run `npm run synth` after a change)', (t) => {
  t.deepEqual(readdirSync(dist).sort(), Object.keys(files).sort());
  for (const [name, text] of Object.entries(files)) {
    t.is(readFileSync(join(dist, name), 'utf8'), text, `charts/dist/${name} is stale: run npm run synth`);
  }
});

test('every file is valid YAML of Kubernetes objects', (t) => {
  for (const [name, text] of Object.entries(files)) {
    const documents = parseAllDocuments(text);
    t.true(documents.length > 0, name);
    for (const document of documents) {
      t.deepEqual(document.errors, [], name);
      const object = document.toJSON() as {
        apiVersion?: string;
        kind?: string;
        metadata?: { name?: string };
      };
      t.truthy(
        object.apiVersion && object.kind && object.metadata?.name,
        `${name}: ${JSON.stringify(object).slice(0, 80)}`,
      );
    }
  }
});
