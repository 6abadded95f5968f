import { randomUUID } from 'node:crypto';
import type { TestApi } from './api-server.js';

export const STRONG_PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  email: string;
  password: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID()}@example.test`;

/** Registers a fresh account and logs it in, failing loudly if either step does not succeed. */
export async function signUpAndIn(
  api: TestApi,
  email = uniqueEmail(),
  password = STRONG_PASSWORD,
): Promise<SignedIn> {
  const registered = await api.request('POST', '/api/v1/auth/register', {
    json: { email, password, name: 'Test User' },
  });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  return logIn(api, email, password);
}

export async function logIn(api: TestApi, email: string, password = STRONG_PASSWORD): Promise<SignedIn> {
  const login = await api.request('POST', '/api/v1/auth/login', { json: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  const { accessToken, refreshToken, user } = login.body.data;
  return { email, password, userId: user.id, accessToken, refreshToken };
}
