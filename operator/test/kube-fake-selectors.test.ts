import test from 'ava';
import {
  decodeContinue,
  encodeContinue,
  matchesLabelSelector,
  paginate,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './support/kube-fake/selectors.js';
import {
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  gone,
  internalError,
  invalid,
  methodNotAllowed,
  notFound,
  StatusError,
  serviceUnavailable,
  tooManyRequests,
  unsupportedMediaType,
} from './support/kube-fake/status-errors.js';
import type { KubeObject } from './support/kube-fake/types.js';

const app = { app: 'web', tier: 'frontend', env: 'prod' };

test('label selector: equality operators =, ==, !=', (t) => {
  t.true(parseLabelSelector('app=web')(app));
  t.true(parseLabelSelector('app==web')(app));
  t.false(parseLabelSelector('app=db')(app));
  t.true(parseLabelSelector('app!=db')(app));
  t.false(parseLabelSelector('app!=web')(app));
  t.true(parseLabelSelector('missing!=x')(app), '!= matches objects without the label');
  t.true(parseLabelSelector('missing=')({ missing: '' }));
});

test('label selector: in, notin, exists, !exists', (t) => {
  t.true(parseLabelSelector('env in (prod, staging)')(app));
  t.false(parseLabelSelector('env in (dev)')(app));
  t.false(parseLabelSelector('missing in (x)')(app));
  t.true(parseLabelSelector('env notin (dev,qa)')(app));
  t.false(parseLabelSelector('env notin (prod)')(app));
  t.true(parseLabelSelector('missing notin (x)')(app), 'notin matches objects without the label');
  t.true(parseLabelSelector('tier')(app));
  t.false(parseLabelSelector('missing')(app));
  t.true(parseLabelSelector('!missing')(app));
  t.false(parseLabelSelector('!tier')(app));
  t.false(parseLabelSelector('tier')(undefined));
  t.true(parseLabelSelector('!tier')(undefined));
});

test('label selector: gt/lt, comma is AND, empty selects everything, prefixed keys', (t) => {
  t.true(parseLabelSelector('n>3')({ n: '5' }));
  t.false(parseLabelSelector('n<3')({ n: '5' }));
  t.true(parseLabelSelector('app=web,tier in (frontend),!missing,env')(app));
  t.false(parseLabelSelector('app=web,tier=backend')(app));
  t.true(parseLabelSelector('')(app));
  t.true(parseLabelSelector('')(undefined));
  t.true(parseLabelSelector('app.kubernetes.io/name = web')({ 'app.kubernetes.io/name': 'web' }));
});

test('label selector: syntax errors throw SelectorError (400 BadRequest)', (t) => {
  for (const bad of [
    'app=web,',
    ',app',
    'app in web',
    'app in (a',
    'app in (a b)',
    'app=(x)',
    '!',
    '!app=web',
    'app=web=x',
    '(app)',
    'a b',
    'n>x',
    'bad key=x',
    '-app=x',
    'app=-bad-',
    'Bad_Prefix/app=x',
    `${'a'.repeat(64)}=x`,
  ]) {
    const err = t.throws(() => parseLabelSelector(bad), { instanceOf: SelectorError }, bad);
    t.is(err?.status.code, 400, bad);
    t.is(err?.status.reason, 'BadRequest', bad);
  }
});

const obj = (name: string, namespace?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: namespace === undefined ? { name } : { name, namespace },
});

test('field selector: metadata.name and metadata.namespace with =, ==, !=', (t) => {
  const a = obj('a', 'ns1');
  t.true(parseFieldSelector('metadata.name=a')(a));
  t.true(parseFieldSelector('metadata.name==a')(a));
  t.false(parseFieldSelector('metadata.name!=a')(a));
  t.true(parseFieldSelector('metadata.namespace=ns1,metadata.name!=b')(a));
  t.false(parseFieldSelector('metadata.namespace=ns2')(a));
  t.true(parseFieldSelector('metadata.namespace=')(obj('cluster-scoped')));
  t.true(parseFieldSelector('')(a));
  t.true(parseFieldSelector('metadata.name=a\\,b')(obj('a,b')));
});

test('field selector: unsupported field and bad syntax are 400', (t) => {
  const err = t.throws(() => parseFieldSelector('spec.nodeName=n1'), { instanceOf: SelectorError });
  t.is(err?.message, 'field label not supported: spec.nodeName');
  t.is(err?.status.code, 400);
  t.throws(() => parseFieldSelector('metadata.name'), { instanceOf: SelectorError });
  t.throws(() => parseFieldSelector('=x'), { instanceOf: SelectorError });
  const custom = parseFieldSelector('spec.nodeName=n1', {
    'spec.nodeName': (o) => (o.spec as { nodeName?: string })?.nodeName,
  });
  t.true(custom({ ...obj('p'), spec: { nodeName: 'n1' } }));
});

test('matchesLabelSelector: matchLabels and every matchExpressions operator', (t) => {
  t.true(matchesLabelSelector({ matchLabels: { app: 'web' } }, app));
  t.false(matchesLabelSelector({ matchLabels: { app: 'db' } }, app));
  t.true(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, app));
  t.false(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, app));
  t.true(
    matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, app),
  );
  t.true(matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['dev'] }] }, app));
  t.false(
    matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, app),
  );
  t.true(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, app));
  t.false(matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, app));
  t.true(matchesLabelSelector({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, app));
  t.false(matchesLabelSelector({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, app));
  t.false(
    matchesLabelSelector(
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      app,
    ),
    'matchLabels AND matchExpressions',
  );
  t.true(matchesLabelSelector({}, app), 'empty selector matches everything');
  t.true(matchesLabelSelector({}, undefined));
  t.false(matchesLabelSelector(undefined, app), 'null selector matches nothing');
  t.false(matchesLabelSelector({ matchLabels: { app: 'web' } }, undefined));
});

test('matchesLabelSelector: invalid structured selectors throw', (t) => {
  t.throws(
    () => matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, app),
    {
      instanceOf: SelectorError,
    },
  );
  t.throws(
    () => matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, app),
    {
      instanceOf: SelectorError,
    },
  );
  t.throws(
    () => matchesLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, app),
    {
      instanceOf: SelectorError,
    },
  );
});

const items = ['e', 'c', 'a', 'd', 'b'].map((n) => obj(n, 'ns'));

test('paginate: limit, continue, remainingItemCount, last page has no continue', (t) => {
  const p1 = paginate(items, 2, undefined, { resourceVersion: '100' });
  t.deepEqual(
    p1.items.map((i) => i.metadata.name),
    ['a', 'b'],
  );
  t.is(p1.remainingItemCount, 3);
  t.is(p1.resourceVersion, '100');
  t.is(typeof p1.continue, 'string');
  const p2 = paginate(items, 2, p1.continue, { resourceVersion: '105', oldestResourceVersion: '50' });
  t.deepEqual(
    p2.items.map((i) => i.metadata.name),
    ['c', 'd'],
  );
  t.is(p2.remainingItemCount, 1);
  t.is(p2.resourceVersion, '100', 'later pages report the first page RV');
  const p3 = paginate(items, 2, p2.continue, { resourceVersion: '110' });
  t.deepEqual(
    p3.items.map((i) => i.metadata.name),
    ['e'],
  );
  t.is(p3.continue, undefined);
  t.is(p3.remainingItemCount, undefined);
  const all = paginate(items, undefined, undefined, { resourceVersion: '100' });
  t.is(all.items.length, 5);
  t.is(all.continue, undefined);
  const exact = paginate(items, 5, undefined, { resourceVersion: '100' });
  t.is(exact.continue, undefined);
  const filtered = paginate(items, 1, undefined, { resourceVersion: '100', countRemaining: false });
  t.is(filtered.remainingItemCount, undefined);
  t.truthy(filtered.continue);
});

test('paginate: continue token round-trips and is opaque base64', (t) => {
  const token = encodeContinue('ns/b', '42');
  t.regex(token, /^[A-Za-z0-9_-]+$/);
  t.deepEqual(decodeContinue(token), { start: 'ns/b\u0000', resourceVersion: '42' });
});

test('paginate: malformed token → 400 BadRequest, as kube-apiserver answers', (t) => {
  for (const bad of [
    '%%%',
    'bm90IGpzb24',
    Buffer.from('{"v":"x","rv":1,"start":"a"}').toString('base64url'),
  ]) {
    const err = t.throws(() => paginate(items, 2, bad, { resourceVersion: '100' }), {
      instanceOf: StatusError,
    });
    t.is(err?.status.code, 400);
    t.is(err?.status.reason, 'BadRequest');
  }
});

test('paginate: token older than the compaction horizon → 410 Expired', (t) => {
  const p1 = paginate(items, 2, undefined, { resourceVersion: '100' });
  const err = t.throws(
    () => paginate(items, 2, p1.continue, { resourceVersion: '300', oldestResourceVersion: '200' }),
    {
      instanceOf: StatusError,
    },
  );
  t.is(err?.status.code, 410);
  t.is(err?.status.reason, 'Expired');
  t.regex(err?.status.message ?? '', /too old to display a consistent list result/);
});

// ---- Status constructors ("API conventions: Response Status Kind") ----

test('notFound: 404 with plural.group, core group omits the dot', (t) => {
  t.deepEqual(notFound('apps', 'deployments', 'web').status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'deployments.apps "web" not found',
    reason: 'NotFound',
    details: { name: 'web', group: 'apps', kind: 'deployments' },
    code: 404,
  });
  t.is(notFound('', 'configmaps', 'cm').status.message, 'configmaps "cm" not found');
});

test('alreadyExists and conflict: 409', (t) => {
  const ae = alreadyExists('platform.skeleton.dev', 'skeletonapps', 'demo').status;
  t.is(ae.code, 409);
  t.is(ae.reason, 'AlreadyExists');
  t.is(ae.message, 'skeletonapps.platform.skeleton.dev "demo" already exists');
  t.deepEqual(ae.details, { name: 'demo', group: 'platform.skeleton.dev', kind: 'skeletonapps' });
  const c = conflict('', 'secrets', 's').status;
  t.is(c.code, 409);
  t.is(c.reason, 'Conflict');
  t.is(
    c.message,
    'Operation cannot be fulfilled on secrets "s": the object has been modified; please apply your changes to the latest version and try again',
  );
  t.deepEqual(c.details, { name: 's', group: '', kind: 'secrets' });
});

test('applyConflict: 409 Conflict with FieldManagerConflict causes', (t) => {
  const one = applyConflict([
    { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', field: '.spec.replicas' },
  ]).status;
  t.is(one.code, 409);
  t.is(one.reason, 'Conflict');
  t.is(one.message, 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas');
  t.deepEqual(one.details, {
    causes: [
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl" using apps/v1',
        field: '.spec.replicas',
      },
    ],
  });
  const two = applyConflict([
    { manager: 'op', operation: 'Apply', field: '.spec.a' },
    { manager: 'op', operation: 'Apply', field: '.spec.b' },
  ]).status;
  t.is(two.message, 'Apply failed with 2 conflicts: conflicts with "op"\n- .spec.a\n- .spec.b');
  t.is(two.details?.causes?.length, 2);
});

test('invalid: 422 with causes and aggregated message', (t) => {
  const one = invalid('Deployment', 'web', [fieldRequired('spec.template')], 'apps').status;
  t.is(one.code, 422);
  t.is(one.reason, 'Invalid');
  t.is(one.message, 'Deployment.apps "web" is invalid: spec.template: Required value');
  t.deepEqual(one.details, {
    name: 'web',
    group: 'apps',
    kind: 'Deployment',
    causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template' }],
  });
  const many = invalid('Service', 's', [
    fieldInvalid('spec.replicas', -1, 'must be greater than or equal to 0'),
    fieldNotSupported('spec.type', 'Foo', ['ClusterIP', 'NodePort']),
  ]).status;
  t.is(
    many.message,
    'Service "s" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "NodePort"]',
  );
  t.deepEqual(
    many.details?.causes?.map((c) => c.reason),
    ['FieldValueInvalid', 'FieldValueNotSupported'],
  );
});

test('other constructors: 400, 410, 405, 415, 429, 500, 503', (t) => {
  const shape = (e: StatusError) => [
    e.status.code,
    e.status.reason,
    e.status.message,
    e.status.status,
    e.status.kind,
  ];
  t.deepEqual(shape(badRequest('bad')), [400, 'BadRequest', 'bad', 'Failure', 'Status']);
  t.deepEqual(shape(gone('too old resource version: 1 (5)')), [
    410,
    'Expired',
    'too old resource version: 1 (5)',
    'Failure',
    'Status',
  ]);
  t.deepEqual(shape(methodNotAllowed('apps', 'deployments', 'watch')), [
    405,
    'MethodNotAllowed',
    'watch is not supported on resources of kind "deployments.apps"',
    'Failure',
    'Status',
  ]);
  const umt = unsupportedMediaType(['application/json', 'application/apply-patch+yaml']).status;
  t.is(umt.code, 415);
  t.is(umt.reason, 'UnsupportedMediaType');
  t.is(
    umt.message,
    'the body of the request was in an unknown format - accepted media types include: application/json, application/apply-patch+yaml',
  );
  const tmr = tooManyRequests(3).status;
  t.is(tmr.code, 429);
  t.is(tmr.reason, 'TooManyRequests');
  t.deepEqual(tmr.details, { retryAfterSeconds: 3 });
  const ie = internalError('boom').status;
  t.deepEqual([ie.code, ie.reason, ie.message], [500, 'InternalError', 'Internal error occurred: boom']);
  t.deepEqual(shape(serviceUnavailable('etcd down')), [
    503,
    'ServiceUnavailable',
    'etcd down',
    'Failure',
    'Status',
  ]);
});

test('StatusError is an Error carrying its Status', (t) => {
  const e = notFound('', 'pods', 'p');
  t.true(e instanceof Error);
  t.is(e.message, 'pods "p" not found');
  t.is(e.code, 404);
});
