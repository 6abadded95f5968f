import { z } from 'zod';
import { loginBody, logoutBody, refreshBody, registerBody } from '../schemas.js';
import { successEnvelope } from './envelopes.js';
import { apiV1Errors, bearerErrors, jsonBodyErrors, passwordHashingErrors } from './error-sources.js';
import { jsonRequest, type Operation } from './operation.js';
import { loginResult, tokenPair, user } from './response-schemas.js';
import { bearerAuth, refreshTokenInBodyOrCookie } from './security.js';

/** The routes of auth-routes.ts. */
export const authOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/auth/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create an account',
    request: jsonRequest(registerBody),
    success: {
      status: 201,
      description: 'The account was created; log in to get tokens.',
      body: successEnvelope(z.strictObject({ user })),
    },
    errors: [...jsonBodyErrors, 'user.already_exists', ...passwordHashingErrors, ...apiV1Errors],
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Log in: start a session and get its first token pair',
    description:
      'Password attempts are limited per address, per client of the account (its device cookie, else its address), with a back-off after three wrong passwords in a row, and, for clients without a device cookie, per account (429 with `Retry-After`). A success sets the device cookie.',
    request: jsonRequest(loginBody),
    success: {
      status: 200,
      description: 'A new session: its token pair and the user.',
      body: successEnvelope(loginResult),
      headers: ['Set-Cookie'],
    },
    errors: [...jsonBodyErrors, 'auth.invalid_credentials', ...passwordHashingErrors, ...apiV1Errors],
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Rotate a refresh token into a new token pair',
    description:
      'The presented token is used up. Presented again by the same client (user agent and address) within the grace window (a few seconds) and before its successor has been used, it returns the same successor pair (concurrent tabs, a retry after a lost answer); presented in any other way, it ends the whole session. The successor goes where the presented token came from: the body or the refresh cookie.',
    security: refreshTokenInBodyOrCookie,
    request: jsonRequest(refreshBody, false),
    success: {
      status: 200,
      description: 'The successor pair.',
      body: successEnvelope(tokenPair),
      headers: ['Set-Cookie'],
    },
    errors: [
      ...jsonBodyErrors,
      'auth.invalid_refresh_token',
      'auth.refresh_token_reused',
      'auth.cross_site_request',
      ...apiV1Errors,
    ],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'End the session a refresh token belongs to',
    description:
      'Idempotent: an unknown, already rotated or already ended token is not an error and ends nothing, so an old copy of a token cannot end the session its client has moved on in.',
    security: refreshTokenInBodyOrCookie,
    request: jsonRequest(logoutBody, false),
    success: {
      status: 200,
      description: 'The session of a live token has ended; for any other token nothing has changed.',
      body: successEnvelope(z.null()),
      headers: ['Set-Cookie'],
    },
    errors: [...jsonBodyErrors, 'auth.cross_site_request', ...apiV1Errors],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout-all',
    operationId: 'logoutAll',
    tag: 'auth',
    summary: 'End every session of the signed-in user',
    security: bearerAuth,
    success: {
      status: 200,
      description: 'Every session has ended; the refresh cookie is cleared.',
      body: successEnvelope(z.null()),
      headers: ['Set-Cookie'],
    },
    errors: [...bearerErrors, ...apiV1Errors],
  },
];
