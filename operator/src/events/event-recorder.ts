import { randomBytes } from 'node:crypto';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (events.k8s.io/v1 `regarding`). */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** An events.k8s.io/v1 Event as the API accepts it. */
export interface EventBody {
  apiVersion: 'events.k8s.io/v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note: string;
  type: EventType;
  regarding: EventSubject;
}

export interface EventRecorderOptions {
  /** Sends one event, aborted by `signal`; failures are logged, never thrown into a reconcile. */
  create(event: EventBody, signal?: AbortSignal): Promise<unknown>;
  reportingController: string;
  reportingInstance: string;
  clock?: () => Date;
  /** client-go's spam filter: a burst of 25 events per object, then one per 5 minutes. */
  burst?: number;
  refillEveryMs?: number;
  /** The same reason and note for the same object is sent once per window (default 10 min). */
  dedupeWindowMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

interface ObjectBudget {
  tokens: number;
  refilledAt: number;
  /** `reason\nnote` → when it was last sent. */
  sent: Map<string, number>;
}

/** events.k8s.io/v1 refuses a longer note; Go counts its length in UTF-8 bytes. */
const NOTE_MAX_BYTES = 1024;

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never cutting a character in half. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
}

/** Kubernetes' Time: RFC 3339 with microseconds, as MicroTime is serialized. */
const microTime = (date: Date) => date.toISOString().replace(/Z$/, '000Z');

/**
 * Records Kubernetes Events for significant transitions, limited per object as client-go's
 * EventBroadcaster is: a token bucket per object (so a flapping app cannot flood the API server or
 * `kubectl describe`), and identical events within a window are sent once. Recording never fails a
 * reconcile: an event is information, not state.
 */
export class EventRecorder {
  private readonly budgets = new Map<string, ObjectBudget>();
  private readonly clock: () => Date;
  private readonly burst: number;
  private readonly refillEveryMs: number;
  private readonly dedupeWindowMs: number;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.burst = options.burst ?? 25;
    this.refillEveryMs = options.refillEveryMs ?? 300_000;
    this.dedupeWindowMs = options.dedupeWindowMs ?? 600_000;
  }

  /** Records the event unless the object's budget is spent or the same event was just sent. */
  async record(
    subject: EventSubject,
    type: EventType,
    reason: string,
    note: string,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const now = this.clock();
    const budget = this.budgetOf(subject, now.getTime());
    const fingerprint = `${reason}\n${note}`;
    const lastSent = budget.sent.get(fingerprint);
    if (lastSent !== undefined && now.getTime() - lastSent < this.dedupeWindowMs) return false;
    if (budget.tokens < 1) {
      this.log('event dropped: rate limit for this object', { ...subject, reason });
      return false;
    }
    budget.tokens -= 1;
    budget.sent.set(fingerprint, now.getTime());
    const event: EventBody = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      // As client-go names them: the object's name and a unique suffix.
      metadata: { name: `${subject.name}.${randomBytes(8).toString('hex')}`, namespace: subject.namespace },
      eventTime: microTime(now),
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance,
      action: 'Reconcile',
      reason,
      note: truncateUtf8(note, NOTE_MAX_BYTES),
      type,
      regarding: subject,
    };
    try {
      await this.options.create(event, signal);
      return true;
    } catch (error) {
      this.log('event not recorded', { ...subject, reason, error: String(error) });
      return false;
    }
  }

  /** Forgets an object (deleted), so its budget does not outlive it. */
  forget(subject: { namespace: string; name: string }): void {
    this.budgets.delete(`${subject.namespace}/${subject.name}`);
  }

  private budgetOf(subject: EventSubject, nowMs: number): ObjectBudget {
    const key = `${subject.namespace}/${subject.name}`;
    let budget = this.budgets.get(key);
    if (!budget) {
      budget = { tokens: this.burst, refilledAt: nowMs, sent: new Map() };
      this.budgets.set(key, budget);
    }
    const refills = Math.floor((nowMs - budget.refilledAt) / this.refillEveryMs);
    if (refills > 0) {
      budget.tokens = Math.min(this.burst, budget.tokens + refills);
      budget.refilledAt += refills * this.refillEveryMs;
    }
    for (const [fingerprint, sentAt] of budget.sent) {
      if (nowMs - sentAt >= this.dedupeWindowMs) budget.sent.delete(fingerprint);
    }
    return budget;
  }

  private log(msg: string, fields: Record<string, unknown>): void {
    this.options.log?.(msg, fields);
  }
}
