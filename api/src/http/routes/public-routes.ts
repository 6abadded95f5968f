import Router from '@koa/router';
import type { KeySet } from '../../domain/tokens/key-set.js';
import { DomainError } from '../../errors.js';
import { success } from '../jsend.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, string>;
}

/** Health probes for the kubelet and the public signing keys for token verifiers. */
export function publicRoutes(keys: () => KeySet, readiness: () => Promise<ReadinessReport>): Router {
  const router = new Router();

  router.get('/.well-known/jwks.json', (ctx) => {
    // Short enough that a key published as `next` is picked up well before it starts signing.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = keys().jwks;
  });

  router.get('/health/live', (ctx) => {
    ctx.body = success({ status: 'live' });
  });

  router.get('/health/ready', async (ctx) => {
    const report = await readiness();
    if (!report.ready) {
      const failing = Object.entries(report.checks)
        .map(([name, state]) => `${name}: ${state}`)
        .join(', ');
      throw new DomainError('service.not_ready', 503, `Not ready (${failing}).`);
    }
    ctx.body = success({ status: 'ready', checks: report.checks });
  });

  return router;
}
