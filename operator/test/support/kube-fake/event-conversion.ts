/**
 * One Event, two group versions. kube-apiserver stores every Event once, as a core v1 Event, and
 * serves it through both `v1` and `events.k8s.io/v1`, converting on the way in and out
 * (k8s.io/kubernetes pkg/apis/events/v1/conversion.go: Convert_v1_Event_To_core_Event and back).
 * The "Deprecated API Migration Guide" (events.k8s.io/v1beta1) lists the same renames.
 */
import type { KubeObject } from './types.js';

/**
 * events.k8s.io/v1 field → core v1 field, where the names differ: `regarding` is `involvedObject`,
 * `note` is `message`, `reportingController` is `reportingComponent`, and the deprecated* fields
 * are the core fields they were renamed from (source, firstTimestamp, lastTimestamp, count).
 */
const RENAMED = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
] as const;

/** Fields both versions spell alike (autoConvert copies them; EventSeries is {count, lastObservedTime} in both). */
const SHARED = ['eventTime', 'series', 'action', 'reason', 'related', 'reportingInstance', 'type'] as const;

type FieldPairs = ReadonlyArray<readonly [from: string, to: string]>;

const EVENTS_TO_CORE: FieldPairs = [...RENAMED, ...SHARED.map((field) => [field, field] as const)];
const CORE_TO_EVENTS: FieldPairs = EVENTS_TO_CORE.map(([events, core]) => [core, events] as const);

/**
 * The object with its fields renamed; a field the target version does not have is dropped, as
 * decoding into the Go type drops it. Metadata (managedFields included) is the same in both.
 */
function convert(object: KubeObject, apiVersion: string, pairs: FieldPairs): KubeObject {
  const converted: KubeObject = { apiVersion, kind: 'Event', metadata: object.metadata };
  for (const [from, to] of pairs) if (object[from] !== undefined) converted[to] = object[from];
  return converted;
}

export const coreEventOf = (event: KubeObject): KubeObject => convert(event, 'v1', EVENTS_TO_CORE);

export const eventsV1EventOf = (event: KubeObject): KubeObject =>
  convert(event, 'events.k8s.io/v1', CORE_TO_EVENTS);
