import type { BenchBackend } from './backend.js';
import type { AppRef } from './phase.js';
import { type Spread, spread } from './report.js';

/** The image a person sets by hand: never one the operator would approve. */
const HAND_SET_IMAGE = 'registry.example.com/hand-set:6.6.6';

type Deployment = {
  metadata: { namespace?: string; name?: string };
  spec?: { template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
};

const imageOf = (deployment: Deployment) =>
  deployment.spec?.template?.spec?.containers?.find((container) => container.name === 'api')?.image;

export interface DriftResult {
  /** Hand edits made. */
  edits: number;
  /** The edit stored → the operator's apply stored with the approved image again, per edit. */
  healMs: Spread;
  /** Edits not put back within the timeout. */
  unhealed: number;
}

/**
 * Drift heal at scale: `kubectl set image` on the Deployments of `apps`, one at a time, each timed
 * from the moment the hand-set image is stored to the moment the Deployment is stored back on its
 * approved image, both seen from the API server's change notifications (not by polling, and not from
 * the patch's answer, which may come after the operator has already put the image back).
 */
export async function measureDriftHeal(
  backend: BenchBackend,
  apps: readonly AppRef[],
  timeoutMs: number,
): Promise<DriftResult> {
  let waiting: { key: string; image: string; editedAt?: number; done: (ms: number) => void } | undefined;
  const unwatch = await backend.follow({ apiVersion: 'apps/v1', kind: 'Deployment' }, ({ object }) => {
    const deployment = object as unknown as Deployment;
    if (waiting?.key !== `${deployment.metadata.namespace}/${deployment.metadata.name}`) return;
    const image = imageOf(deployment);
    if (image === HAND_SET_IMAGE) waiting.editedAt ??= performance.now();
    else if (image === waiting.image && waiting.editedAt !== undefined)
      waiting.done(performance.now() - waiting.editedAt);
  });
  const heals: number[] = [];
  let unhealed = 0;
  try {
    for (const { namespace, name } of apps) {
      const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
      const before = JSON.parse((await backend.send('GET', path)).body) as Deployment;
      const approved = imageOf(before);
      if (!approved) throw new Error(`${namespace}/${name} has no api container`);
      const healed = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        waiting = {
          key: `${namespace}/${name}`,
          image: approved,
          done: (ms) => {
            clearTimeout(timer);
            resolve(ms);
          },
        };
      });
      const edit = await backend.send(
        'PATCH',
        `${path}?fieldManager=kubectl-set`,
        { spec: { template: { spec: { containers: [{ name: 'api', image: HAND_SET_IMAGE }] } } } },
        'application/strategic-merge-patch+json',
      );
      if (edit.status !== 200) throw new Error(`the hand edit of ${path} answered ${edit.status}`);
      const healMs = await healed;
      waiting = undefined;
      if (healMs === undefined) unhealed += 1;
      else heals.push(healMs);
    }
  } finally {
    unwatch();
  }
  return { edits: apps.length, healMs: spread(heals), unhealed };
}
