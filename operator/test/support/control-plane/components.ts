import type { Binaries, Program } from './build.js';
import type { Pki } from './pki.js';

/** The ports a control plane listens on, all on loopback, chosen free at each `up`. */
export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiServer: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

export interface Layout {
  /** The folder of this control plane's state: data, certificates, kubeconfigs, logs. */
  dir: string;
  etcdData: string;
  /** One kubeconfig per component identity (see pki.ts IDENTITIES). */
  kubeconfigs: { admin: string; controllerManager: string; scheduler: string; kwok: string };
  kwokConfig: string;
}

export interface Component {
  name: Program;
  command: string;
  args: string[];
}

/** The CIDR Services get addresses from, and the first of it, the `kubernetes` Service. */
const SERVICE_CIDR = '10.96.0.0/16';
const POD_CIDR = '10.244.0.0/16';

/**
 * The controllers kube-controller-manager runs: those the operator's objects meet (Deployments and
 * their ReplicaSets, Jobs, HPAs, PDBs, Services, garbage collection, namespaces, service accounts and
 * their tokens) and what keeps pods tidy. Node lifecycle is left out: the only node is kwok's.
 */
export const CONTROLLERS = [
  'garbage-collector-controller',
  'namespace-controller',
  'deployment-controller',
  'replicaset-controller',
  'job-controller',
  'ttl-after-finished-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'horizontal-pod-autoscaler-controller',
  'disruption-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'pod-garbage-collector-controller',
  'resourcequota-controller',
];

/** The label (as an annotation selector) that marks the nodes kwok plays the kubelet for. */
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

const url = (port: number) => `http://127.0.0.1:${port}`;

/**
 * What kube-controller-manager and kube-scheduler share: one kubeconfig for the API and for checking
 * who calls their own HTTPS port, which listens on loopback; a single instance, so no leader election.
 */
const clientAndServing = (kubeconfig: string, port: number, certDir: string) => [
  `--kubeconfig=${kubeconfig}`,
  `--authentication-kubeconfig=${kubeconfig}`,
  `--authorization-kubeconfig=${kubeconfig}`,
  '--leader-elect=false',
  '--bind-address=127.0.0.1',
  `--secure-port=${port}`,
  `--cert-dir=${certDir}`,
  '--profiling=false',
];

/** Each process of the control plane with its command line, in start order. */
export function components(binaries: Binaries, ports: Ports, pki: Pki, layout: Layout): Component[] {
  const { dir } = layout;
  return [
    {
      name: 'etcd',
      command: binaries.etcd,
      args: [
        '--name=control-plane',
        `--data-dir=${layout.etcdData}`,
        `--listen-client-urls=${url(ports.etcdClient)}`,
        `--advertise-client-urls=${url(ports.etcdClient)}`,
        `--listen-peer-urls=${url(ports.etcdPeer)}`,
        `--initial-advertise-peer-urls=${url(ports.etcdPeer)}`,
        `--initial-cluster=control-plane=${url(ports.etcdPeer)}`,
        // A test bed loses nothing it needs on a crash, and fsync is most of etcd's write latency.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
    },
    {
      name: 'kube-apiserver',
      command: binaries['kube-apiserver'],
      args: [
        `--etcd-servers=${url(ports.etcdClient)}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // The kubernetes Service's endpoints would be this loopback address, which Endpoints refuse.
        '--endpoint-reconciler-type=none',
        `--secure-port=${ports.apiServer}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        `--token-auth-file=${pki.tokenFile}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--cert-dir=${dir}/apiserver-certs`,
        '--profiling=false',
      ],
    },
    {
      name: 'kube-controller-manager',
      command: binaries['kube-controller-manager'],
      args: [
        ...clientAndServing(
          layout.kubeconfigs.controllerManager,
          ports.controllerManager,
          `${dir}/controller-manager-certs`,
        ),
        `--controllers=${CONTROLLERS.join(',')}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        // Each controller acts as its own service account, so the bootstrap RBAC is what it is allowed.
        '--use-service-account-credentials=true',
        // The autoscaler raises a new Deployment to its minimum on its first pass over the HPA; every
        // 2 s instead of every 15 s, so a test waits seconds for an app's minimum replicas.
        '--horizontal-pod-autoscaler-sync-period=2s',
      ],
    },
    {
      name: 'kube-scheduler',
      command: binaries['kube-scheduler'],
      args: clientAndServing(layout.kubeconfigs.scheduler, ports.scheduler, `${dir}/scheduler-certs`),
    },
    {
      name: 'kwok',
      command: binaries.kwok,
      args: [
        `--config=${layout.kwokConfig}`,
        `--kubeconfig=${layout.kubeconfigs.kwok}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
        `--cidr=${POD_CIDR}`,
        '--node-ip=127.0.0.1',
        `--server-address=127.0.0.1:${ports.kwok}`,
      ],
    },
  ];
}

/** A kubeconfig for one identity: the CA embedded, a bearer token, the loopback server. */
export function kubeconfigDocument(server: string, caPem: string, user: string, token: string): string {
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'control-plane',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'control-plane', context: { cluster: 'control-plane', user, namespace: 'default' } }],
    'current-context': 'control-plane',
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** How many pods a kwok node takes, as a kubelet's default maxPods. */
export const KWOK_NODE_PODS = 110;

/** The node kwok plays the kubelet for: it takes any pod, and reports what kwok's stages say. */
export function kwokNode(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: String(KWOK_NODE_PODS), 'ephemeral-storage': '1Ti' },
      capacity: { cpu: '32', memory: '256Gi', pods: String(KWOK_NODE_PODS), 'ephemeral-storage': '1Ti' },
    },
  };
}
