import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

/**
 * kwok's own "fast" stages, as kwokctl uses them: a node turns Ready at once; a pod scheduled to it
 * turns Running and Ready; a pod of a Job then Succeeds; a deleted pod is removed (there is no kubelet
 * to confirm it). They are read from the pinned kwok module, so they follow its version.
 */
const KWOK_STAGE_FILES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

/**
 * The test bed's one convention for a container that fails: a Job pod whose first image's tag ends
 * in this exits 1 instead of 0, so a failed migration can be shown on the real control plane.
 */
export const FAILING_IMAGE_SUFFIX = '-fails';

type Stage = {
  metadata: { name: string };
  spec: {
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    next: { statusTemplate: string };
  };
};

const FAILS = {
  key: `.spec.containers.[0].image | endswith("${FAILING_IMAGE_SUFFIX}")`,
  values: ['true'],
};

/** kwok's pod-complete stage turned into its failing twin: exit code 1, reason Error, phase Failed. */
function failingTwin(complete: Stage): Stage {
  const twin = structuredClone(complete);
  twin.metadata.name = 'pod-fail';
  twin.spec.selector.matchExpressions.push({ ...FAILS, operator: 'In' });
  twin.spec.next.statusTemplate = twin.spec.next.statusTemplate
    .replace('exitCode: 0', 'exitCode: 1')
    .replace('reason: Completed', 'reason: Error')
    .replace('phase: Succeeded', 'phase: Failed');
  complete.spec.selector.matchExpressions.push({ ...FAILS, operator: 'NotIn' });
  return twin;
}

/** One YAML stream of kwok's stages, for its --config. */
export async function kwokStages(kwokModuleDir: string): Promise<string> {
  const stages: Stage[] = [];
  for (const file of KWOK_STAGE_FILES) {
    for (const document of parseAllDocuments(await readFile(join(kwokModuleDir, file), 'utf8')))
      stages.push(document.toJSON() as Stage);
  }
  const complete = stages.find((stage) => stage.metadata.name === 'pod-complete');
  if (!complete) throw new Error('kwok has no pod-complete stage');
  stages.push(failingTwin(complete));
  return stages.map((stage) => stringify(stage)).join('---\n');
}
