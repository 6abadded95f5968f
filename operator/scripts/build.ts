/**
 * The operator as its image runs it: `npm run build -w operator` bundles src/main.ts, the charts
 * workspace and every dependency into dist/main.mjs (an ES module wherever it is copied), which
 * plain `node` runs. A path as the first argument writes the bundle there instead (for tests).
 *
 * Why a bundle rather than tsc's output: at start the operator under tsx held 215 MiB, the same code
 * compiled with its dependencies loaded from node_modules 140 MiB, the bundle 103 MiB. client-node
 * alone is some 5,000 modules (a model class per file, all loaded by KubeConfig), and each module
 * costs memory of its own; in one file they cost almost nothing. Whitespace and comments go (their
 * non-ASCII characters would make V8 hold the whole source as two-byte text); names stay, so stack
 * traces still read.
 */
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../src/main.ts', import.meta.url).pathname],
  outfile: process.argv[2] ?? new URL('../dist/main.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // The CommonJS dependencies (cdk8s, pino, prom-client) call require() for Node's own modules,
  // which an ES module has no binding for.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
