import type { FakeApiServer } from '../../operator/test/support/kube-fake/fake-api-server.js';

/** Where the operator runs against: the fake kube-apiserver, or the real control plane. */
export type BackendName = 'kube-fake' | 'control-plane';

export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface ObjectEvent {
  type: string;
  object: { metadata?: { namespace?: string; name?: string } };
}

/** A request as a person with kubectl makes it: full rights, JSON in and out. */
export type Send = (
  method: string,
  path: string,
  body?: unknown,
  contentType?: string,
) => Promise<{ status: number; body: string }>;

/** The API server the bench drives and the operator talks to. */
export interface BenchBackend {
  readonly name: BackendName;
  /** The kubeconfig file the operator is started with. */
  readonly kubeconfig: string;
  /** The bench's namespaces as created, in the order asked for (the control plane suffixes them). */
  readonly namespaces: string[];
  readonly send: Send;
  /**
   * Calls `listener` with every change to objects of this kind in the bench's namespaces from now
   * on; resolves once it is following, so nothing created after that is missed.
   */
  follow(kind: KindRef, listener: (event: ObjectEvent) => void): Promise<() => void>;
  /** What only the fake can tell: every request it received, its connections, its own time. */
  readonly fake?: FakeApiServer;
  close(): Promise<void>;
}
