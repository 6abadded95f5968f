import type { FakeApiServer } from '../../operator/test/support/kube-fake/fake-api-server.js';
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
  /** The edit answered → the operator's apply stored with the approved image again, per edit. */
  healMs: Spread;
  /** Edits not put back within the timeout. */
  unhealed: number;
}

/**
 * Drift heal at scale: `kubectl set image` on the Deployments of `apps`, one at a time, each timed
 * from the patch's answer to the moment the fake stores the Deployment back on its approved image
 * (seen from the store's notifications in this process, not by polling).
 */
export async function measureDriftHeal(
  fake: FakeApiServer,
  apps: readonly AppRef[],
  timeoutMs: number,
): Promise<DriftResult> {
  const deployments = fake.api.registry.byKind('apps/v1', 'Deployment');
  if (!deployments) throw new Error('the fake serves no Deployments');
  let waiting: { key: string; image: string; done: (at: number) => void } | undefined;
  const unwatch = fake.api.store.watch(
    { resource: deployments },
    Number(fake.api.store.resourceVersion),
    ({ object }) => {
      const deployment = object as unknown as Deployment;
      const key = `${deployment.metadata.namespace}/${deployment.metadata.name}`;
      if (waiting?.key === key && imageOf(deployment) === waiting.image) waiting.done(performance.now());
    },
  );
  const heals: number[] = [];
  let unhealed = 0;
  try {
    for (const { namespace, name } of apps) {
      const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
      const before = (await (await fetch(`${fake.url}${path}`)).json()) as Deployment;
      const approved = imageOf(before);
      if (!approved) throw new Error(`${namespace}/${name} has no api container`);
      const healed = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        waiting = {
          key: `${namespace}/${name}`,
          image: approved,
          done: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
      const response = await fetch(`${fake.url}${path}?fieldManager=kubectl-set`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/strategic-merge-patch+json' },
        body: JSON.stringify({
          spec: { template: { spec: { containers: [{ name: 'api', image: HAND_SET_IMAGE }] } } },
        }),
      });
      if (response.status !== 200) throw new Error(`the hand edit of ${path} answered ${response.status}`);
      const editedAt = performance.now();
      const healedAt = await healed;
      waiting = undefined;
      if (healedAt === undefined) unhealed += 1;
      else heals.push(healedAt - editedAt);
    }
  } finally {
    unwatch();
  }
  return { edits: apps.length, healMs: spread(heals), unhealed };
}
