/**
 * What the operator does after SIGTERM, and how long each step may take: shared by the operator (its
 * default SHUTDOWN_TIMEOUT_SECONDS and its forced exit) and its Deployment (terminationGracePeriodSeconds).
 * The kubelet kills a pod still running when the grace period ends; a leader killed while it drains or
 * before it released its Lease leaves the standby waiting out the whole lease duration.
 */
export const OPERATOR_SHUTDOWN = {
  /** How long reconciles in flight may finish: SHUTDOWN_TIMEOUT_SECONDS's default. */
  drainSeconds: 30,
  /**
   * Then how long releasing the Lease (a renewal in flight finishes first, bounded by the renew
   * deadline) and closing the servers may take before the operator exits anyway.
   */
  releaseSeconds: 10,
  /** How much later than the operator's own forced exit the kubelet's SIGKILL comes. */
  marginSeconds: 5,
} as const;

/** The grace period an operator pod needs when reconciles may drain for `drainSeconds`. */
export function operatorTerminationGracePeriodSeconds(
  drainSeconds: number = OPERATOR_SHUTDOWN.drainSeconds,
): number {
  return drainSeconds + OPERATOR_SHUTDOWN.releaseSeconds + OPERATOR_SHUTDOWN.marginSeconds;
}
