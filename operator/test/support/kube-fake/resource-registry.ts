import { coreEventOf, eventsV1EventOf } from './event-conversion.js';
import { CORE_EVENT_FIELDS, EVENTS_V1_EVENT_FIELDS } from './event-fields.js';
import type { FieldGetters } from './selectors.js';
import type { KubeObject } from './types.js';

/** One kind of object the fake serves: how it is addressed and what it supports. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has a /status subresource: the main endpoint ignores status, /status changes only status. */
  statusSubresource: boolean;
  /** The status a new object is given (kube-apiserver resets it on create), when not none. */
  createdStatus?: object;
  /**
   * Tracks `metadata.generation`. Kinds without a desired state of their own (ConfigMaps, Secrets,
   * Services, ServiceAccounts, HPAs, Namespaces, Events, Leases) carry none on a real server.
   */
  generation: boolean;
  /** The CRD's openAPIV3Schema, for custom resources. */
  schema?: object;
  /** The CRD version's additionalPrinterColumns, shown by `kubectl get` after NAME. */
  printerColumns?: PrinterColumn[];
  /** The fields `?fieldSelector=` accepts besides metadata.name and metadata.namespace. */
  selectableFields?: FieldGetters;
  /** Set when the kind is another kind's objects, served through a second group version. */
  storedAs?: SharedStorage;
}

/**
 * kube-apiserver serves some stored resources through several group versions: each object is kept
 * once, in the storage kind's form, and converted on every read and write through the others.
 */
export interface SharedStorage {
  group: string;
  version: string;
  plural: string;
  toStorage(object: KubeObject): KubeObject;
  fromStorage(object: KubeObject): KubeObject;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const type = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  options: Partial<
    Pick<
      ResourceType,
      | 'namespaced'
      | 'shortNames'
      | 'statusSubresource'
      | 'createdStatus'
      | 'generation'
      | 'selectableFields'
      | 'storedAs'
    >
  > = {},
): ResourceType => ({
  group,
  version,
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced: options.namespaced ?? true,
  shortNames: options.shortNames,
  statusSubresource: options.statusSubresource ?? false,
  createdStatus: options.createdStatus,
  generation: options.generation ?? false,
  selectableFields: options.selectableFields,
  storedAs: options.storedAs,
});

/** The built-in kinds the operator and its tests touch, with their real addressing. */
export const BUILT_IN_TYPES: readonly ResourceType[] = [
  type('', 'v1', 'Namespace', 'namespaces', {
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
  }),
  type('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  type('', 'v1', 'Secret', 'secrets'),
  type('', 'v1', 'Service', 'services', {
    shortNames: ['svc'],
    statusSubresource: true,
    createdStatus: { loadBalancer: {} },
  }),
  type('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  type('', 'v1', 'Pod', 'pods', { shortNames: ['po'], statusSubresource: true, generation: true }),
  type('', 'v1', 'Event', 'events', { shortNames: ['ev'], selectableFields: CORE_EVENT_FIELDS }),
  type('apps', 'v1', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    statusSubresource: true,
    createdStatus: {},
    generation: true,
  }),
  type('batch', 'v1', 'Job', 'jobs', { statusSubresource: true, createdStatus: {}, generation: true }),
  type('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', {
    shortNames: ['hpa'],
    statusSubresource: true,
    createdStatus: { currentMetrics: null, desiredReplicas: 0 },
  }),
  type('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', {
    shortNames: ['pdb'],
    statusSubresource: true,
    createdStatus: { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 },
    generation: true,
  }),
  type('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', {
    shortNames: ['netpol'],
    generation: true,
  }),
  type('networking.k8s.io', 'v1', 'Ingress', 'ingresses', {
    shortNames: ['ing'],
    statusSubresource: true,
    createdStatus: { loadBalancer: {} },
    generation: true,
  }),
  type('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  // The same Events as core v1 (pkg/registry/core/event is the storage of both groups).
  type('events.k8s.io', 'v1', 'Event', 'events', {
    shortNames: ['ev'],
    selectableFields: EVENTS_V1_EVENT_FIELDS,
    storedAs: {
      group: '',
      version: 'v1',
      plural: 'events',
      toStorage: coreEventOf,
      fromStorage: eventsV1EventOf,
    },
  }),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', { namespaced: false }),
  type('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', { namespaced: false }),
  type('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  type('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  type('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
    namespaced: false,
    shortNames: ['crd', 'crds'],
    statusSubresource: true,
    generation: true,
  }),
];

export const groupVersion = ({ group, version }: Pick<ResourceType, 'group' | 'version'>) =>
  group === '' ? version : `${group}/${version}`;

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: object };
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdObject {
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; shortNames?: string[] };
    versions: CrdVersion[];
  };
}

/**
 * The kinds being served: the built-in ones, plus those of every CustomResourceDefinition created,
 * which (as in kube-apiserver) appear in discovery and become addressable at once.
 */
export class ResourceRegistry {
  private readonly types: ResourceType[] = [...BUILT_IN_TYPES];

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  all(): readonly ResourceType[] {
    return this.types;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.types.find((t) => groupVersion(t) === apiVersion && t.kind === kind);
  }

  /** Serves the versions of a CRD; returns the types it added. */
  addCustomResource(crd: CrdObject): ResourceType[] {
    const { group, scope, names, versions } = crd.spec;
    const added = versions
      .filter((version) => version.served)
      .map((version) => ({
        group,
        version: version.name,
        kind: names.kind,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: scope === 'Namespaced',
        shortNames: names.shortNames,
        statusSubresource: version.subresources?.status !== undefined,
        generation: true,
        schema: version.schema?.openAPIV3Schema,
        printerColumns: version.additionalPrinterColumns,
      }));
    this.removeCustomResource(crd);
    this.types.push(...added);
    return added;
  }

  /** The kinds a CRD currently serves. */
  customResourceTypes(crd: CrdObject): ResourceType[] {
    const { group, names } = crd.spec;
    return this.types.filter(
      (t) => t.group === group && t.plural === names.plural && !BUILT_IN_TYPES.includes(t),
    );
  }

  removeCustomResource(crd: CrdObject): void {
    const { group, names } = crd.spec;
    for (let i = this.types.length - 1; i >= 0; i--) {
      const t = this.types[i] as ResourceType;
      if (t.group === group && t.plural === names.plural && !BUILT_IN_TYPES.includes(t))
        this.types.splice(i, 1);
    }
  }

  /** GET /api */
  coreVersions() {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  }

  /** GET /apis */
  groups() {
    const byGroup = new Map<string, string[]>();
    for (const t of this.types) {
      if (t.group === '') continue;
      const versions = byGroup.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      byGroup.set(t.group, versions);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...byGroup].map(([name, versions]) => ({
        name,
        versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  /** GET /apis/<group> */
  group(name: string) {
    return this.groups().groups.find((group) => group.name === name);
  }

  /** GET /api/v1 or /apis/<group>/<version>; undefined when nothing is served there. */
  resources(group: string, version: string) {
    const served = this.types.filter((t) => t.group === group && t.version === version);
    if (served.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: groupVersion({ group, version }),
      resources: served.flatMap((t) => [
        {
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: VERBS,
          ...(t.shortNames ? { shortNames: t.shortNames } : {}),
        },
        ...(t.statusSubresource
          ? [
              {
                name: `${t.plural}/status`,
                singularName: '',
                namespaced: t.namespaced,
                kind: t.kind,
                verbs: ['get', 'patch', 'update'],
              },
            ]
          : []),
      ]),
    };
  }
}
