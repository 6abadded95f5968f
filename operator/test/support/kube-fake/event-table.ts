import type { KubeObject } from './types.js';

/**
 * How kube-apiserver prints a core v1 Event for `kubectl get events` (pkg/printers/internalversion
 * printEvent): LAST SEEN, TYPE, REASON, OBJECT and MESSAGE, and with -o wide SUBOBJECT, SOURCE,
 * FIRST SEEN, COUNT and NAME.
 */
export const EVENT_COLUMNS = [
  ['Last Seen', 0, 'Time when last this event was observed.'],
  ['Type', 0, 'Type of this event (Normal, Warning), new types could be added in the future.'],
  [
    'Reason',
    0,
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ],
  ['Object', 0, 'The object that this event is about.'],
  ['Subobject', 1, 'The part of the object this event is about.'],
  ['Source', 1, 'The component reporting this event.'],
  ['Message', 0, 'A human-readable description of the status of this operation.'],
  ['First Seen', 1, 'The time at which the event was first recorded.'],
  ['Count', 1, 'The number of times this event has occurred.'],
  ['Name', 1, 'Name of the event.'],
].map(([name, priority, description]) => ({ name, type: 'string', format: '', description, priority }));

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const field = (object: KubeObject, name: string) => (object[name] ?? {}) as Record<string, unknown>;

/** One row: times as ages (`age` formats them), the object as lower-case kind/name. */
export function eventRow(event: KubeObject, age: (timestamp: unknown) => string): unknown[] {
  const involved = field(event, 'involvedObject');
  const source = field(event, 'source');
  const series = field(event, 'series');
  const lastSeen = series.lastObservedTime ?? event.lastTimestamp ?? event.eventTime;
  const firstSeen = event.firstTimestamp ?? event.eventTime;
  const from = [text(source.component) || text(event.reportingComponent), text(source.host)].filter(Boolean);
  return [
    age(lastSeen),
    text(event.type),
    text(event.reason),
    `${text(involved.kind).toLowerCase()}/${text(involved.name)}`,
    text(involved.fieldPath),
    from.join(', '),
    text(event.message),
    age(firstSeen),
    String(Number(series.count ?? event.count ?? 1)),
    text(event.metadata.name),
  ];
}
