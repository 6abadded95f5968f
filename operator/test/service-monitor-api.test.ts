import test from 'ava';
import { servesServiceMonitorV1 } from '../src/watch/service-monitor-api.js';

/** servesServiceMonitorV1: ServiceMonitors are created only when the cluster can store them. */

const ESTABLISHED = {
  conditions: [
    { type: 'NamesAccepted', status: 'True' },
    { type: 'Established', status: 'True' },
  ],
};
const V1 = {
  versions: [
    { name: 'v1alpha1', served: false },
    { name: 'v1', served: true },
  ],
};

test('an established CRD serving v1 serves the ServiceMonitor API', (t) => {
  t.true(servesServiceMonitorV1({ spec: V1, status: ESTABLISHED }));
});

test('no CRD, no API', (t) => {
  t.false(servesServiceMonitorV1(undefined));
});

test('a CRD not yet established (names not accepted, being deleted) does not serve', (t) => {
  t.false(
    servesServiceMonitorV1({ spec: V1, status: { conditions: [{ type: 'Established', status: 'False' }] } }),
  );
  t.false(
    servesServiceMonitorV1({ spec: V1, status: { conditions: [{ type: 'NamesAccepted', status: 'True' }] } }),
  );
  t.false(servesServiceMonitorV1({ spec: V1 }));
});

test('v1 must be among the versions and served', (t) => {
  t.false(
    servesServiceMonitorV1({ spec: { versions: [{ name: 'v1alpha1', served: true }] }, status: ESTABLISHED }),
  );
  t.false(
    servesServiceMonitorV1({ spec: { versions: [{ name: 'v1', served: false }] }, status: ESTABLISHED }),
  );
  t.false(servesServiceMonitorV1({ status: ESTABLISHED }));
});
