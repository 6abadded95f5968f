/** The kinds of request a virtual user sends, in the order a session first sends them. */
export const STEPS = ['login', 'me', 'update profile', 'refresh', 'logout'] as const;
export type Step = (typeof STEPS)[number];

/**
 * A session: sign in, then `rounds` times read the profile, change it, read it back and refresh
 * the token pair (rotation), then sign out. Reads outnumber writes two to one, as in most account
 * pages, and every session pays for one argon2id verification at login.
 */
export function sessionPlan(rounds: number): Step[] {
  const round: Step[] = ['me', 'update profile', 'me', 'refresh'];
  return ['login', ...Array.from({ length: rounds }, () => round).flat(), 'logout'];
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
}

export interface Account {
  email: string;
  password: string;
  /** The address the user's requests come from, in X-Forwarded-For (the API trusts one proxy hop). */
  address: string;
}

export interface PlannedRequest {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: object;
  bearer?: string;
}

/** The request a step sends; `tokens` are those of the session's last login or refresh. */
export function requestFor(step: Step, account: Account, tokens: Tokens, sequence: number): PlannedRequest {
  switch (step) {
    case 'login':
      return {
        method: 'POST',
        path: '/api/v1/auth/login',
        body: { email: account.email, password: account.password },
      };
    case 'me':
      return { method: 'GET', path: '/api/v1/users/me', bearer: tokens.accessToken };
    case 'update profile':
      return {
        method: 'PATCH',
        path: '/api/v1/users/me',
        body: { name: `Load User ${sequence}` },
        bearer: tokens.accessToken,
      };
    case 'refresh':
      return { method: 'POST', path: '/api/v1/auth/refresh', body: { refreshToken: tokens.refreshToken } };
    case 'logout':
      return { method: 'POST', path: '/api/v1/auth/logout', body: { refreshToken: tokens.refreshToken } };
  }
}

/** Login and refresh answer a new pair; every other step keeps the one the session has. */
export function tokensAfter(step: Step, body: unknown, current: Tokens): Tokens {
  if (step !== 'login' && step !== 'refresh') return current;
  const data = (body as { data?: Partial<Tokens> } | undefined)?.data;
  if (typeof data?.accessToken !== 'string' || typeof data.refreshToken !== 'string') {
    throw new Error(`${step} answered without a token pair`);
  }
  return { accessToken: data.accessToken, refreshToken: data.refreshToken };
}
