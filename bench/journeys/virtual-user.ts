import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Account,
  type PlannedRequest,
  requestFor,
  type Step,
  type Tokens,
  tokensAfter,
} from './journey.js';

/** A request that has not answered by then counts as failed, as a browser's spinner would. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface Sample {
  step: Step;
  /** performance.now() when the request was sent. */
  startedAt: number;
  ms: number;
  status?: number;
  /** Why the request failed without a status, or why a 2xx answer was unusable. */
  error?: string;
}

export interface Target {
  origin: string;
  /** False for the bare Koa baseline, which answers "hello" to everything and so issues no tokens. */
  issuesTokens: boolean;
}

export interface VirtualUser {
  target: Target;
  account: Account;
  plan: readonly Step[];
  /** Milliseconds to wait after each answer: the user reading the page. */
  thinkTimeMs(): number;
  /** Checked before every request: false ends the user after its current one. */
  running(): boolean;
  record(sample: Sample): void;
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: Agent, target: Target, account: Account, planned: PlannedRequest): Promise<Answer> {
  const payload = planned.body === undefined ? undefined : JSON.stringify(planned.body);
  const headers: Record<string, string> = {
    'user-agent': 'skeleton-load/1',
    'x-forwarded-for': account.address,
    ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...(planned.bearer === undefined ? {} : { authorization: `Bearer ${planned.bearer}` }),
  };
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${target.origin}${planned.path}`,
      { agent, method: planned.method, headers, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

const NO_TOKENS: Tokens = { accessToken: 'none', refreshToken: 'none' };

/**
 * One user going through sessions until told to stop, over one keep-alive connection of its own
 * (a browser tab's). A failed step ends the session: the user signs in again, as a client would.
 */
export async function runVirtualUser(user: VirtualUser): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let sequence = 0;
  try {
    while (user.running()) {
      let tokens = NO_TOKENS;
      for (const step of user.plan) {
        if (!user.running()) return;
        sequence += 1;
        const startedAt = performance.now();
        const sample: Sample = { step, startedAt, ms: 0 };
        try {
          const answer = await send(
            agent,
            user.target,
            user.account,
            requestFor(step, user.account, tokens, sequence),
          );
          sample.status = answer.status;
          if (answer.status < 300 && user.target.issuesTokens) {
            tokens = tokensAfter(step, JSON.parse(answer.body), tokens);
          }
        } catch (error) {
          sample.error = error instanceof Error ? error.message : String(error);
        }
        sample.ms = performance.now() - startedAt;
        user.record(sample);
        await sleep(user.thinkTimeMs());
        if (!succeeded(sample)) break;
      }
    }
  } finally {
    agent.destroy();
  }
}

export const succeeded = (sample: Sample) =>
  sample.error === undefined && sample.status !== undefined && sample.status >= 200 && sample.status < 300;
