import { ApiException } from '@kubernetes/client-node';
import { failureStatus } from '../status/failure-status.js';
import type { SkeletonAppStatus } from '../status/skeleton-app-status.js';

/** A write of one reconcile step that failed, named for the person reading the status. */
export class ReconcileStepError extends Error {
  /** The API server's HTTP status, when it answered. */
  readonly code: number | undefined;

  constructor(
    readonly step: string,
    cause: unknown,
    /** The step wrote the key set: KeysRotated says it failed too. */
    readonly keySet = false,
  ) {
    const code = cause instanceof ApiException ? cause.code : undefined;
    super(`${step} failed${code === undefined ? '' : ` (HTTP ${code})`}: ${serverMessage(cause)}`, { cause });
    this.name = 'ReconcileStepError';
    this.code = code;
  }

  /**
   * Whether a retry will not help by itself: the server refused the write (RBAC, admission,
   * validation). Conflicts, throttling, server errors and lost connections pass on their own, and
   * saying so on status would only make Ready flicker.
   */
  get needsAPerson(): boolean {
    return (
      this.code !== undefined && this.code >= 400 && this.code < 500 && this.code !== 409 && this.code !== 429
    );
  }
}

/** The metav1.Status message of an API error (its own words), else the error's message. */
function serverMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? parseJson(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string' && message) return message;
  }
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/**
 * The status after a refused write: Ready False with reason ReconcileError and the server's message,
 * and KeysRotated False when it was the key set that could not be written. The rest stays as it was,
 * since nothing else was observed.
 */
export function reconcileErrorStatus(
  previous: SkeletonAppStatus | undefined,
  generation: number,
  error: ReconcileStepError,
  now: Date,
): SkeletonAppStatus {
  // A condition's message holds at most 32 KiB; an admission webhook's answer can be longer.
  const message = error.message.slice(0, 32_768);
  return failureStatus(
    previous,
    generation,
    [
      { type: 'Ready', status: 'False', reason: 'ReconcileError', message },
      ...(error.keySet
        ? [{ type: 'KeysRotated' as const, status: 'False' as const, reason: 'KeySetWriteFailed', message }]
        : []),
    ],
    now,
  );
}
