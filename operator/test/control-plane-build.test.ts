import { readFileSync } from 'node:fs';
import test from 'ava';
import {
  KUBE_MODULE_DIR,
  pinnedVersions,
  replaceBlock,
  requiredVersion,
  stagingReplaces,
  withReplaceBlock,
} from './support/control-plane/go-modules.js';
import { moduleSource } from './support/control-plane/go-tool.js';
import { staleReplaces } from './support/control-plane/staging-replaces.js';

/** The Go modules that build the control plane: pins, and the staging replaces kept in step. */

const KUBERNETES_GO_MOD = `module k8s.io/kubernetes

go 1.26.0

require (
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/kube-openapi => k8s.io/kube-openapi v0.0.0-20260317180543-43fb72c5454a
)
`;

test('each staging module is replaced by its published v0.x release of the same minor and patch', (t) => {
  t.deepEqual(stagingReplaces(KUBERNETES_GO_MOD, 'v1.36.3'), [
    'k8s.io/api => k8s.io/api v0.36.3',
    'k8s.io/client-go => k8s.io/client-go v0.36.3',
  ]);
  t.throws(() => stagingReplaces('module x\n', 'v1.36.3'), { message: /no staging modules/ });
});

test('a replace block is read line by line, and rewritten in place or added at the end', (t) => {
  t.deepEqual(replaceBlock(KUBERNETES_GO_MOD).slice(0, 1), ['k8s.io/api => ./staging/src/k8s.io/api']);
  const rewritten = withReplaceBlock(KUBERNETES_GO_MOD, ['a => a v1']);
  t.deepEqual(replaceBlock(rewritten), ['a => a v1']);
  t.true(rewritten.startsWith('module k8s.io/kubernetes'));
  const added = withReplaceBlock('module m\n\ngo 1.26.0\n', ['b => b v2']);
  t.is(added, 'module m\n\ngo 1.26.0\n\nreplace (\n\tb => b v2\n)\n');
});

test('the pinned versions are read from the go.mod files, and a missing pin is named', (t) => {
  t.is(
    requiredVersion('require (\n\tk8s.io/kubernetes v1.36.3 // indirect\n)', 'k8s.io/kubernetes'),
    'v1.36.3',
  );
  t.throws(() => requiredVersion('module m', 'sigs.k8s.io/kwok', 'kwok/go.mod'), {
    message: 'kwok/go.mod does not require sigs.k8s.io/kwok',
  });
  const versions = pinnedVersions();
  const [, minor] = versions.kubernetes.split('.');
  t.true(Number(minor) >= 34, `Kubernetes ${versions.kubernetes} is v1.34 or later`);
  t.regex(versions.etcd, /^v3\./);
  t.regex(versions.kwok, /^v0\./);
});

test("our go.mod's staging replaces are exactly what the pinned Kubernetes release needs", async (t) => {
  t.timeout(120_000);
  t.deepEqual(await staleReplaces(), { missing: [], extra: [] }, 'run: npm run control-plane -- generate');
  const goMod = readFileSync(`${KUBE_MODULE_DIR}/go.mod`, 'utf8');
  t.true(replaceBlock(goMod).length >= 30, 'every staging module is there');
});

test('etcd is the release the pinned Kubernetes names', async (t) => {
  const { kubernetes, etcd } = pinnedVersions();
  const { goMod } = await moduleSource('k8s.io/kubernetes', kubernetes, KUBE_MODULE_DIR);
  t.is(etcd, requiredVersion(goMod, 'go.etcd.io/etcd/server/v3', `k8s.io/kubernetes@${kubernetes} go.mod`));
});
