import { z } from 'zod';
import { DEFAULT_RATE_LIMIT_POLICY } from '../../rate-limits/policy.js';
import {
  changePasswordBody,
  deleteAccountBody,
  listUsersQuery,
  sessionParams,
  updateProfileBody,
} from '../schemas.js';
import { successEnvelope } from './envelopes.js';
import type { ErrorCode } from './error-catalogue.js';
import { apiV1Errors, bearerErrors, jsonBodyErrors, passwordHashingErrors } from './error-sources.js';
import { jsonRequest, type Operation } from './operation.js';
import { session, user, userPage } from './response-schemas.js';
import { bearerAuth } from './security.js';

const signedIn = { security: bearerAuth } as const;

/** What checking the password of a signed-in user adds to an operation. */
const PASSWORD_CONFIRMATION = `The password is checked under the same limits and back-off as a login (429 with \`Retry-After\`), and a session that gives ${DEFAULT_RATE_LIMIT_POLICY.wrongPasswordsPerSession.points} wrong ones is ended (401 \`auth.too_many_wrong_passwords\`).`;

/** An operation confirmed with the account password, which is checked through the hashing queue. */
const passwordConfirmedErrors = [
  ...jsonBodyErrors,
  'auth.wrong_password',
  'auth.too_many_wrong_passwords',
  ...bearerErrors,
  ...passwordHashingErrors,
  ...apiV1Errors,
] as const satisfies ErrorCode[];

/** The routes of account-routes.ts: all behind a bearer token. */
export const accountOperations: Operation[] = [
  {
    ...signedIn,
    method: 'get',
    path: '/api/v1/users/me',
    operationId: 'getCurrentUser',
    tag: 'users',
    summary: 'The signed-in user',
    success: { status: 200, description: 'The user.', body: successEnvelope(z.strictObject({ user })) },
    errors: [...bearerErrors, ...apiV1Errors],
  },
  {
    ...signedIn,
    method: 'patch',
    path: '/api/v1/users/me',
    operationId: 'updateCurrentUser',
    tag: 'users',
    summary: 'Change the display name',
    description: 'The name is the only field that can change here; any other field is a 400.',
    request: jsonRequest(updateProfileBody),
    success: {
      status: 200,
      description: 'The updated user.',
      body: successEnvelope(z.strictObject({ user })),
    },
    errors: [...jsonBodyErrors, ...bearerErrors, ...apiV1Errors],
  },
  {
    ...signedIn,
    method: 'delete',
    path: '/api/v1/users/me',
    operationId: 'deleteCurrentUser',
    tag: 'users',
    summary: 'Delete the account',
    description: `Needs the password. The account, its sessions and its tokens stop working at once. ${PASSWORD_CONFIRMATION}`,
    request: jsonRequest(deleteAccountBody),
    success: { status: 200, description: 'The account is deleted.', body: successEnvelope(z.null()) },
    errors: passwordConfirmedErrors,
  },
  {
    ...signedIn,
    method: 'put',
    path: '/api/v1/users/me/password',
    operationId: 'changePassword',
    tag: 'users',
    summary: 'Change the password',
    description: `Needs the current password. Every other session of the user ends. ${PASSWORD_CONFIRMATION}`,
    request: jsonRequest(changePasswordBody),
    success: { status: 200, description: 'The password is changed.', body: successEnvelope(z.null()) },
    errors: passwordConfirmedErrors,
  },
  {
    ...signedIn,
    method: 'get',
    path: '/api/v1/users',
    operationId: 'listUsers',
    tag: 'users',
    summary: 'List users, newest first (admins only)',
    request: { query: listUsersQuery },
    success: { status: 200, description: 'One page of users.', body: successEnvelope(userPage) },
    errors: ['validation.failed', ...bearerErrors, 'auth.forbidden', ...apiV1Errors],
  },
  {
    ...signedIn,
    method: 'get',
    path: '/api/v1/sessions',
    operationId: 'listSessions',
    tag: 'sessions',
    summary: 'The live sessions of the signed-in user',
    success: {
      status: 200,
      description: 'Every live session; the one asking has `current: true`.',
      body: successEnvelope(z.strictObject({ sessions: z.array(session) })),
    },
    errors: [...bearerErrors, ...apiV1Errors],
  },
  {
    ...signedIn,
    method: 'delete',
    path: '/api/v1/sessions/{id}',
    operationId: 'endSession',
    tag: 'sessions',
    summary: 'End one session of the signed-in user',
    request: { params: sessionParams },
    success: { status: 200, description: 'The session has ended.', body: successEnvelope(z.null()) },
    errors: ['validation.failed', ...bearerErrors, 'session.not_found', ...apiV1Errors],
  },
];
