import { PASSWORD } from './journeys/accounts.js';

export const JSON_HEADERS = { 'content-type': 'application/json' };

async function post(url: string, body: object, expectedStatus: number): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  if (response.status !== expectedStatus) {
    throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  }
  return response.json();
}

/** Registers `email` with PASSWORD on the API at `api` (HTTP/1.1) and logs it in. */
export async function accessTokenFor(api: string, email: string): Promise<string> {
  await post(`${api}/api/v1/auth/register`, { email, password: PASSWORD, name: 'Bench User' }, 201);
  const login = (await post(`${api}/api/v1/auth/login`, { email, password: PASSWORD }, 200)) as {
    data?: { accessToken?: unknown };
  };
  const token = login.data?.accessToken;
  if (typeof token !== 'string') throw new Error('login answered without an access token');
  return token;
}
