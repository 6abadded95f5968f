import test from 'ava';
import { observeDeployment } from '../src/reconcile/observe.js';

/** observeDeployment: a live apps/v1 Deployment, reduced to what the status computation reads. */

const API_IMAGE = 'registry.example.com/skeleton-api:1.4.2';
const SIDECAR_IMAGE = 'registry.example.com/log-shipper:0.9.0';

const withContainers = (containers: { name?: string; image?: string }[]) => ({
  spec: { template: { spec: { containers } } },
});

test('the image is the api container’s, wherever it stands in the pod', (t) => {
  const live = withContainers([
    { name: 'log-shipper', image: SIDECAR_IMAGE },
    { name: 'api', image: API_IMAGE },
  ]);
  t.is(observeDeployment(live).image, API_IMAGE);
});

test('without an api container, the first container’s image is taken', (t) => {
  const live = withContainers([
    { name: 'server', image: API_IMAGE },
    { name: 'log-shipper', image: SIDECAR_IMAGE },
  ]);
  t.is(observeDeployment(live).image, API_IMAGE);
});

test('without containers or an image, there is no image', (t) => {
  t.false('image' in observeDeployment(withContainers([])));
  t.false('image' in observeDeployment(withContainers([{ name: 'api' }])));
});

test('the generation and replica counts are copied', (t) => {
  const observation = observeDeployment({
    metadata: { generation: 5 },
    status: {
      observedGeneration: 4,
      replicas: 3,
      readyReplicas: 2,
      updatedReplicas: 1,
      availableReplicas: 0,
    },
  });
  t.deepEqual(observation, {
    conditions: [],
    generation: 5,
    observedGeneration: 4,
    replicas: 3,
    readyReplicas: 2,
    updatedReplicas: 1,
    availableReplicas: 0,
  });
});

test('numbers the Deployment does not report are omitted, not set to undefined', (t) => {
  // The Deployment controller leaves out zero counts; "unknown" must not turn into a key holding undefined.
  const observation = observeDeployment({ metadata: {}, status: { replicas: 1 } });
  t.deepEqual(Object.keys(observation).sort(), ['conditions', 'replicas']);
});

test('an empty Deployment observes to no conditions and nothing else', (t) => {
  t.deepEqual(observeDeployment({}), { conditions: [] });
});

test('conditions are mapped; a missing status is Unknown and absent reason and message are omitted', (t) => {
  const observation = observeDeployment({
    status: {
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
        { type: 'Progressing' },
        {},
      ],
    },
  });
  t.deepEqual(observation.conditions, [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
    { type: 'Progressing', status: 'Unknown' },
    { type: '', status: 'Unknown' },
  ]);
});
