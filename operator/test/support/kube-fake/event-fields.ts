/**
 * The field selectors Events support ("Field Selectors": "Supported fields vary by Kubernetes
 * resource type"). kube-apiserver selects over the stored core Event; events.k8s.io/v1 only
 * renames the labels it accepts onto the core ones.
 */
import { coreEventOf } from './event-conversion.js';
import type { FieldGetters } from './selectors.js';
import type { KubeObject } from './types.js';

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const fieldOf = (object: KubeObject, field: string, key: string) =>
  text((object[field] as Record<string, unknown> | undefined)?.[key]);
const involvedObject = (key: string) => (event: KubeObject) => fieldOf(event, 'involvedObject', key);

/**
 * The labels core v1 accepts (k8s.io/kubernetes pkg/apis/core/v1/conversion.go
 * AddFieldLabelConversionsForEvent) with the values pkg/registry/core/event/strategy.go
 * ToSelectableFields gives them; metadata.name and metadata.namespace come with every kind.
 * `source` is source.component, or the reportingComponent when an events.k8s.io client left
 * source empty.
 */
export const CORE_EVENT_FIELDS: FieldGetters = {
  'involvedObject.kind': involvedObject('kind'),
  'involvedObject.namespace': involvedObject('namespace'),
  'involvedObject.name': involvedObject('name'),
  'involvedObject.uid': involvedObject('uid'),
  'involvedObject.apiVersion': involvedObject('apiVersion'),
  'involvedObject.resourceVersion': involvedObject('resourceVersion'),
  'involvedObject.fieldPath': involvedObject('fieldPath'),
  reason: (event) => text(event.reason),
  reportingComponent: (event) => text(event.reportingComponent),
  source: (event) => fieldOf(event, 'source', 'component') || text(event.reportingComponent),
  type: (event) => text(event.type),
};

/**
 * pkg/apis/events/v1/conversion.go AddFieldLabelConversionsForEvent: the labels events.k8s.io/v1
 * accepts and the core label each stands for. Any other label (involvedObject.*,
 * reportingComponent and source among them: a v1.36 kube-apiserver answers `source` with 400) is
 * "field label not supported".
 */
const EVENTS_V1_LABELS: Record<string, string> = {
  reason: 'reason',
  'regarding.kind': 'involvedObject.kind',
  'regarding.namespace': 'involvedObject.namespace',
  'regarding.name': 'involvedObject.name',
  'regarding.uid': 'involvedObject.uid',
  'regarding.apiVersion': 'involvedObject.apiVersion',
  'regarding.resourceVersion': 'involvedObject.resourceVersion',
  'regarding.fieldPath': 'involvedObject.fieldPath',
  reportingController: 'reportingComponent',
  type: 'type',
};

export const EVENTS_V1_EVENT_FIELDS: FieldGetters = Object.fromEntries(
  Object.entries(EVENTS_V1_LABELS).map(([label, coreLabel]) => {
    const coreField = CORE_EVENT_FIELDS[coreLabel] as (event: KubeObject) => string | undefined;
    return [label, (event: KubeObject) => coreField(coreEventOf(event))];
  }),
);
