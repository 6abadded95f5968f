import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { readMonitoringSources } from '../src/monitoring/read-sources.js';
import type { KubernetesObject } from '../src/render/index.js';
import { synthesize } from '../src/synth.js';
import { checkPolicy, formatViolation } from './support/policy/index.js';
import { validateObject } from './support/validate-objects.js';

const charts = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(charts, 'dist');
const files = synthesize(readMonitoringSources(join(charts, '..')));

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

const objectsOf = (name: string) =>
  parseAllDocuments(files[name] as string).map((document) => document.toJSON() as KubernetesObject);

test('every synthesized object validates against the Kubernetes schemas, unknown fields refused', (t) => {
  for (const name of Object.keys(files)) {
    for (const object of objectsOf(name)) {
      t.deepEqual(validateObject(object), [], `${name}: ${object.kind}/${object.metadata.name}`);
    }
  }
});

test('the policy suite (checklist G) passes for the example manifests and the operator install', (t) => {
  const violations = checkPolicy([...objectsOf('example-manifests.yaml'), ...objectsOf('operator.yaml')]);
  t.deepEqual(violations.map(formatViolation), []);
});

test('the suite bites on the real output: one weakened field is caught', (t) => {
  const objects = objectsOf('example-manifests.yaml');
  const deployment = objects.find((object) => object.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { containers: Array<{ securityContext: Record<string, unknown> }> } } };
  };
  const [container] = deployment.spec.template.spec.containers;
  if (container) container.securityContext.readOnlyRootFilesystem = false;
  t.deepEqual(
    checkPolicy(objects).map((violation) => violation.ruleId),
    ['container-read-only-root-fs'],
  );
});
