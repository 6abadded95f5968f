import { ApiException } from '@kubernetes/client-node';
import test from 'ava';
import { ReconcileStepError, reconcileErrorStatus } from '../src/reconcile/reconcile-error.js';
import { findCondition } from '../src/status/conditions.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const refused = (code: number, body: unknown) => new ApiException(code, 'refused', body, {});

test('the error names the step, the HTTP status and the API server message', (t) => {
  const body = JSON.stringify({ kind: 'Status', message: 'services "accounts" is forbidden: frozen' });
  const error = new ReconcileStepError('Applying Service/accounts', refused(403, body));
  t.is(
    error.message,
    'Applying Service/accounts failed (HTTP 403): services "accounts" is forbidden: frozen',
  );
  t.is(error.code, 403);
  t.is(
    new ReconcileStepError('Applying Job/x', refused(422, { message: 'Job.batch "x" is invalid' })).message,
    'Applying Job/x failed (HTTP 422): Job.batch "x" is invalid',
    'a parsed body too',
  );
  t.is(
    new ReconcileStepError('Removing X/y', refused(400, 'not json')).message,
    'Removing X/y failed (HTTP 400): not json',
  );
  t.regex(new ReconcileStepError('Removing X/y', refused(400, {})).message, /failed \(HTTP 400\): /);
  t.is(
    new ReconcileStepError('Applying Service/accounts', new Error('socket hang up')).message,
    'Applying Service/accounts failed: socket hang up',
  );
  t.is(new ReconcileStepError('s', 'text').message, 's failed: text');
});

test('only a refusal needs a person: conflicts, throttling, server errors and lost connections retry quietly', (t) => {
  const needs = (cause: unknown) => new ReconcileStepError('s', cause).needsAPerson;
  for (const code of [400, 403, 404, 422]) t.true(needs(refused(code, {})), String(code));
  for (const code of [409, 429, 500, 503]) t.false(needs(refused(code, {})), String(code));
  t.false(needs(new Error('ECONNRESET')));
});

test('the status says Ready False / ReconcileError, and KeysRotated False when the key set was not written', (t) => {
  const previous = {
    observedGeneration: 2,
    currentImage: 'api:1',
    conditions: [
      {
        type: 'Ready' as const,
        status: 'True' as const,
        reason: 'Available',
        message: 'ok',
        lastTransitionTime: '2025-12-01T00:00:00Z',
      },
    ],
  };
  const children = reconcileErrorStatus(
    previous,
    3,
    new ReconcileStepError('Applying Service/a', refused(403, {})),
    T0,
  );
  t.like(findCondition(children.conditions, 'Ready'), {
    status: 'False',
    reason: 'ReconcileError',
    lastTransitionTime: '2026-01-01T00:00:00Z',
    observedGeneration: 3,
  });
  t.is(findCondition(children.conditions, 'KeysRotated'), undefined);
  t.like(children, { observedGeneration: 3, phase: 'ReconcileError', currentImage: 'api:1' });
  const keys = reconcileErrorStatus(
    undefined,
    1,
    new ReconcileStepError('Writing', refused(403, {}), true),
    T0,
  );
  t.like(findCondition(keys.conditions, 'KeysRotated'), { status: 'False', reason: 'KeySetWriteFailed' });
});
