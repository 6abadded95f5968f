import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { selectorProblems } from './support/catalog.js';
import { parseQuery } from './support/promql.js';
import { alertRules, REPO_DIR, recordedLabels } from './support/rules.js';

// CHECKLIST B of the ops reference: one runbook per alert, the same sections in each, and
// queries and commands that work on this system.

const RUNBOOKS_DIR = join(REPO_DIR, 'runbooks');
const SECTIONS = ['Meaning', 'Impact', 'Diagnosis', 'Mitigation', 'Escalation'];

const alertNames = [...new Set(alertRules().map((rule) => rule.alert))].sort();
const runbookFiles = readdirSync(RUNBOOKS_DIR).filter((file) => file.endsWith('.md'));
const runbooks = runbookFiles.map((file) => ({
  file,
  text: readFileSync(join(RUNBOOKS_DIR, file), 'utf8'),
}));

/** The fenced blocks of a Markdown text, with their info string (`sh`, `promql`). */
const fences = (text: string) =>
  [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1] ?? '',
    body: match[2] ?? '',
  }));

function sections(text: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    found.set(part.slice(0, newline).trim(), part.slice(newline + 1).trim());
  }
  return found;
}

test('there is exactly one runbook per alert, named after it', (t) => {
  t.deepEqual(runbookFiles.map((file) => file.replace(/\.md$/, '')).sort(), alertNames);
});

for (const { file, text } of runbooks) {
  const name = file.replace(/\.md$/, '');

  test(`${file}: the title is the alert and the sections are ${SECTIONS.join(', ')}`, (t) => {
    t.is(text.split('\n')[0], `# ${name}`);
    const found = sections(text);
    t.deepEqual([...found.keys()], SECTIONS);
    for (const [section, body] of found) t.true(body.length > 0, `${section} is empty`);
  });

  test(`${file}: the diagnosis has kubectl commands and PromQL`, (t) => {
    const diagnosis = sections(text).get('Diagnosis') ?? '';
    const blocks = fences(diagnosis);
    t.true(
      blocks.some((block) => block.lang === 'sh' && /^kubectl /m.test(block.body)),
      'a ```sh block with kubectl',
    );
    t.true(
      blocks.some((block) => block.lang === 'promql'),
      'a ```promql block',
    );
  });

  test(`${file}: every PromQL query parses and reads only metrics and labels that exist`, (t) => {
    const recorded = recordedLabels();
    for (const block of fences(text).filter((candidate) => candidate.lang === 'promql')) {
      // One query per paragraph; a line starting with # is a comment.
      const queries = block.body
        .split(/\n\s*\n/)
        .map((query) =>
          query
            .split('\n')
            .filter((line) => !line.startsWith('#'))
            .join('\n')
            .trim(),
        )
        .filter(Boolean);
      for (const query of queries) {
        const parsed = parseQuery(query);
        t.deepEqual(parsed.errors, [], query);
        for (const selector of parsed.selectors) t.deepEqual(selectorProblems(selector, recorded), [], query);
      }
    }
  });
}

test('the log messages runbooks look for are ones the API or the operator writes', (t) => {
  const missing = runbooks.flatMap(({ file, text }) =>
    [...text.matchAll(/\.msg\s*==\s*"([^"]+)"/g), ...text.matchAll(/\.msg\s*\|\s*startswith\("([^"]+)"\)/g)]
      .map((match) => match[1] as string)
      .filter((message) => !sourceText().includes(message))
      .map((message) => `${file}: "${message}"`),
  );
  t.deepEqual(missing, []);
});

test('links between runbooks resolve', (t) => {
  const broken = runbooks.flatMap(({ file, text }) =>
    [...text.matchAll(/\]\((\w+)\.md\)/g)]
      .map((match) => `${match[1]}.md`)
      .filter((target) => !runbookFiles.includes(target))
      .map((target) => `${file} → ${target}`),
  );
  t.deepEqual(broken, []);
});

let source: string | undefined;
/** The API's and the operator's source, where every log message is written. */
function sourceText(): string {
  source ??= ['api/src', 'operator/src']
    .flatMap((dir) =>
      readdirSync(join(REPO_DIR, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => readFileSync(join(REPO_DIR, dir, file), 'utf8')),
    )
    .join('\n');
  return source;
}
