import { performance } from 'node:perf_hooks';
import {
  ApiException,
  type CoordinationV1Api,
  type V1Lease,
  type V1LeaseSpec,
  V1MicroTime,
} from '@kubernetes/client-node';
import { type LeaseObservation, leaseExpired, observeLease } from './lease-observation.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's tools/leaderelection
 * (https://kubernetes.io/docs/concepts/architecture/leases/): one replica holds the Lease and renews
 * it every retryPeriod; the others wait for it to expire or to be released, and then take it over with
 * an update guarded by resourceVersion, so only one can win. A Lease expires for a candidate when the
 * candidate itself has seen its record unchanged for leaseDurationSeconds (lease-observation.ts), never
 * by the holder's renewTime against the candidate's clock.
 */
export interface LeaderElectorOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  /** The Lease's name. */
  name: string;
  /** This candidate's identity, unique among the replicas (e.g. the pod name). */
  identity: string;
  /**
   * How long non-leaders wait after the last renewal before taking over (default 15). Fractional
   * values are honoured by this process's timers; the Lease stores whole seconds, rounded up.
   */
  leaseDurationSeconds?: number;
  /** How long the leader keeps retrying a failing renewal before it stops leading (default 10). */
  renewDeadlineSeconds?: number;
  /** How often the leader renews and candidates retry (default 2). */
  retryPeriodSeconds?: number;
  /**
   * The time written into the Lease's acquireTime and renewTime, for people and tools reading it;
   * defaults to the system clock. Expiry is never judged by it.
   */
  clock?: () => Date;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  /** Called when the observed holder of the Lease changes to another non-empty identity. */
  onNewLeader?(identity: string): void;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** Jitter on the candidates' retry period, as client-go's JitterFactor. */
const JITTER_FACTOR = 1.2;

const codeOf = (error: unknown): number | undefined =>
  error instanceof ApiException ? error.code : undefined;

export class LeaderElector {
  private readonly options: LeaderElectorOptions;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly clock: () => Date;

  private leader = false;
  private stopping = false;
  private running: Promise<void> | undefined;
  /** A stop()'s release in progress, shared by concurrent stop() calls. */
  private releasing: Promise<void> | undefined;
  /** The last Lease read or written, whose resourceVersion a release uses. */
  private observed: V1Lease | undefined;
  /** Its record and since when (monotonic) this candidate has seen it unchanged. */
  private observation: LeaseObservation | undefined;
  private reportedLeader: string | undefined;
  /** The monotonic time at which the last successful write started (about its renewTime). */
  private lastRenewAt = 0;
  private wake: (() => void) | undefined;
  /** Bumped on every stop and loss of leadership, so a late answer to a timed-out request is ignored. */
  private epoch = 0;

  constructor(options: LeaderElectorOptions) {
    this.options = options;
    this.leaseMs = (options.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = (options.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (options.retryPeriodSeconds ?? 2) * 1000;
    this.clock = options.clock ?? (() => new Date());
    if (!(this.leaseMs > this.renewDeadlineMs))
      throw new Error('leaseDurationSeconds must be greater than renewDeadlineSeconds');
    if (!(this.renewDeadlineMs > this.retryMs * JITTER_FACTOR))
      throw new Error(`renewDeadlineSeconds must be greater than retryPeriodSeconds*${JITTER_FACTOR}`);
    if (!(this.retryMs > 0)) throw new Error('retryPeriodSeconds must be positive');
    if (options.identity === '') throw new Error('identity must not be empty');
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Acquires, leads and re-acquires until stop() or abandon(); never rejects. */
  run(): Promise<void> {
    if (!this.running) {
      this.stopping = false;
      this.running = this.loop().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Stops the loop; if leading, releases the Lease (as client-go's ReleaseOnCancel) and calls onStoppedLeading. */
  async stop(): Promise<void> {
    await this.halt();
    if (!this.releasing && this.leader) {
      this.releasing = (async () => {
        await this.release();
        this.loseLeadership('stopped');
      })().finally(() => {
        this.releasing = undefined;
      });
    }
    await this.releasing;
  }

  /**
   * For tests: stops the loop without releasing the Lease and without calling onStoppedLeading,
   * as a crashed process would; the others take over once the Lease expires.
   */
  async abandon(): Promise<void> {
    await this.halt();
    this.leader = false;
  }

  private async halt(): Promise<void> {
    this.stopping = true;
    this.epoch++;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.leader) await this.renewLoop();
        else await this.acquireOnce();
      } catch (error) {
        this.log('leader election loop error', { error: String(error) });
        await this.sleep(this.retryMs);
      }
    }
  }

  /** One acquisition attempt, then a jittered wait if it did not succeed. */
  private async acquireOnce(): Promise<void> {
    const startedAt = performance.now();
    if (await this.tryAcquireOrRenew()) {
      // Even if stop() came meanwhile: it then finds us leading and releases the Lease.
      this.leader = true;
      this.lastRenewAt = startedAt;
      this.log('acquired the lease', { lease: this.leaseName() });
      this.callback('onStartedLeading', () => this.options.onStartedLeading());
      return;
    }
    await this.sleep(this.retryMs * (1 + Math.random() * JITTER_FACTOR));
  }

  /** Renews every retryPeriod; returns when stopping or after failing to renew within renewDeadline. */
  private async renewLoop(): Promise<void> {
    while (!this.stopping) {
      await this.sleep(this.retryMs);
      if (this.stopping) return;
      for (;;) {
        const remaining = this.lastRenewAt + this.renewDeadlineMs - performance.now();
        if (remaining <= 0) {
          this.loseLeadership('failed to renew the lease within renewDeadline');
          return;
        }
        const epoch = this.epoch;
        const startedAt = performance.now();
        const outcome = await this.withDeadline(this.tryAcquireOrRenew(), remaining);
        if (this.stopping) return;
        if (outcome === true && epoch === this.epoch) {
          this.lastRenewAt = startedAt;
          break;
        }
        if (outcome === 'timeout') continue; // the deadline check above ends leadership
        const left = this.lastRenewAt + this.renewDeadlineMs - performance.now();
        await this.sleep(Math.min(this.retryMs, Math.max(0, left)));
        if (this.stopping) return;
      }
    }
  }

  private loseLeadership(reason: string): void {
    if (!this.leader) return;
    this.leader = false;
    this.epoch++;
    this.log('stopped leading', { lease: this.leaseName(), reason });
    this.callback('onStoppedLeading', () => this.options.onStoppedLeading());
  }

  /** client-go's tryAcquireOrRenew: true if this candidate holds the Lease afterwards. Never rejects. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.options;
    const now = this.clock();
    let current: V1Lease;
    try {
      current = await coordination.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (codeOf(error) !== 404) {
        this.log('failed to read the lease', { lease: this.leaseName(), error: String(error) });
        return false;
      }
      try {
        const created = await coordination.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: this.specFor(now, { acquireTime: new V1MicroTime(now.getTime()), leaseTransitions: 0 }),
          },
        });
        this.observe(created);
        return true;
      } catch (createError) {
        // 409 AlreadyExists: another candidate created it first.
        this.log('failed to create the lease', { lease: this.leaseName(), error: String(createError) });
        return false;
      }
    }

    const observation = this.observe(current);
    const spec: V1LeaseSpec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const ours = holder === identity;
    if (holder !== '' && !ours && !leaseExpired(observation, performance.now())) return false;

    const transitions = spec.leaseTransitions ?? 0;
    const body: V1Lease = {
      ...current,
      spec: {
        ...spec,
        ...this.specFor(now, {
          acquireTime:
            ours && spec.acquireTime !== undefined ? spec.acquireTime : new V1MicroTime(now.getTime()),
          leaseTransitions: ours ? transitions : transitions + 1,
        }),
      },
    };
    try {
      const updated = await coordination.replaceNamespacedLease({ name, namespace, body });
      this.observe(updated);
      return true;
    } catch (error) {
      // 409 Conflict: someone else wrote the Lease since we read it; they won.
      this.log('failed to update the lease', {
        lease: this.leaseName(),
        code: codeOf(error),
        error: String(error),
      });
      return false;
    }
  }

  private specFor(
    now: Date,
    { acquireTime, leaseTransitions }: Pick<V1LeaseSpec, 'acquireTime' | 'leaseTransitions'>,
  ): V1LeaseSpec {
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseMs / 1000)),
      acquireTime,
      renewTime: new V1MicroTime(now.getTime()),
      leaseTransitions,
    };
  }

  /** Releases the Lease: no holder, leaseDurationSeconds 1, keeping leaseTransitions. */
  private async release(): Promise<void> {
    const { coordination, namespace, name, identity } = this.options;
    const observed = this.observed;
    if (!observed || observed.spec?.holderIdentity !== identity) return;
    const now = new V1MicroTime(this.clock().getTime());
    try {
      const released = await coordination.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...observed,
          spec: {
            ...observed.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: observed.spec?.leaseTransitions ?? 0,
          },
        },
      });
      this.observe(released);
      this.log('released the lease', { lease: this.leaseName() });
    } catch (error) {
      this.log('failed to release the lease', { lease: this.leaseName(), error: String(error) });
    }
  }

  /** Records a Lease read or written; reports a new holder. */
  private observe(lease: V1Lease): LeaseObservation {
    this.observed = lease;
    this.observation = observeLease(this.observation, lease.spec ?? {}, performance.now(), this.leaseMs);
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      const onNewLeader = this.options.onNewLeader;
      if (onNewLeader) this.callback('onNewLeader', () => onNewLeader.call(this.options, holder));
    }
    return this.observation;
  }

  private callback(which: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log(`${which} threw`, { lease: this.leaseName(), error: String(error) });
    }
  }

  private log(msg: string, fields: Record<string, unknown>): void {
    try {
      this.options.log?.(msg, { identity: this.options.identity, ...fields });
    } catch {
      // A failing logger must not stop the election.
    }
  }

  private leaseName(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /** Waits ms, or less if stop() or abandon() is called. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    // The loop is sequential: at most one sleep is pending.
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** The promise's value, or 'timeout' if it takes longer than ms (the request is left to finish, ignored). */
  private withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }
}
