/**
 * Whether this instance is on its way out. Set on SIGTERM; readiness then fails so load
 * balancers stop sending traffic, and responses ask clients to close their connections.
 */
export interface Lifecycle {
  draining: boolean;
}

export const createLifecycle = (): Lifecycle => ({ draining: false });
