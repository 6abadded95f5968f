import test from 'ava';
import { appOwnerKey } from '../src/kube/owner-reference.js';

/** Which app a child's watch event requeues: its controller, a SkeletonApp of any served version. */

const child = (apiVersion: string, kind = 'SkeletonApp', controller = true) => ({
  metadata: {
    namespace: 'identity',
    ownerReferences: [{ apiVersion, kind, name: 'accounts', uid: 'u', controller }],
  },
});

test('a SkeletonApp controller of any version of the group owns the child', (t) => {
  t.is(appOwnerKey(child('platform.skeleton.dev/v1alpha1')), 'identity/accounts');
  t.is(appOwnerKey(child('platform.skeleton.dev/v1beta1')), 'identity/accounts', 'a later served version');
  t.is(appOwnerKey(child('platform.skeleton.dev/v1')), 'identity/accounts');
});

test('another group, another kind, or an owner that is not the controller owns nothing here', (t) => {
  t.is(appOwnerKey(child('example.com/v1alpha1')), undefined);
  t.is(appOwnerKey(child('platform.skeleton.dev/v1alpha1', 'Other')), undefined);
  t.is(appOwnerKey(child('platform.skeleton.dev/v1alpha1', 'SkeletonApp', false)), undefined);
  t.is(appOwnerKey({ metadata: {} }), undefined);
});
