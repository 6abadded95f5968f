import { readFile, writeFile } from 'node:fs/promises';
import {
  KUBE_MODULE_DIR,
  pinnedVersions,
  replaceBlock,
  stagingReplaces,
  withReplaceBlock,
} from './go-modules.js';
import { moduleSource } from './go-tool.js';

const GO_MOD = `${KUBE_MODULE_DIR}/go.mod`;

/** The replace lines the pinned Kubernetes release needs, from its own go.mod. */
async function expectedReplaces(): Promise<string[]> {
  const { kubernetes } = pinnedVersions();
  const { goMod } = await moduleSource('k8s.io/kubernetes', kubernetes, KUBE_MODULE_DIR);
  return stagingReplaces(goMod, kubernetes);
}

/** The replace lines of our go.mod that differ from what the pinned release needs (empty: current). */
export async function staleReplaces(): Promise<{ missing: string[]; extra: string[] }> {
  const expected = await expectedReplaces();
  const ours = replaceBlock(await readFile(GO_MOD, 'utf8'));
  return {
    missing: expected.filter((line) => !ours.includes(line)),
    extra: ours.filter((line) => !expected.includes(line)),
  };
}

/** Rewrites our go.mod's replace block from the pinned release's go.mod (after a version bump). */
export async function writeStagingReplaces(): Promise<void> {
  const goMod = await readFile(GO_MOD, 'utf8');
  await writeFile(GO_MOD, withReplaceBlock(goMod, await expectedReplaces()));
}
