import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * kwok's own "fast" stages, as kwokctl uses them: a node turns Ready at once; a pod scheduled to it
 * turns Running and Ready; a pod of a Job then Succeeds; a deleted pod is removed (there is no kubelet
 * to confirm it). They are read from the pinned kwok module, so they follow its version.
 */
export const KWOK_STAGE_FILES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

/** One YAML stream of kwok's stages, for its --config. */
export async function kwokStages(kwokModuleDir: string): Promise<string> {
  const documents = await Promise.all(
    KWOK_STAGE_FILES.map(async (file) => (await readFile(join(kwokModuleDir, file), 'utf8')).trim()),
  );
  return `${documents.join('\n---\n')}\n`;
}
