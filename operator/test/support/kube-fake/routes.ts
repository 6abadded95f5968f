/** Where a request points: discovery, or a resource (collection, object or subresource). */
export type Route =
  | { kind: 'version' }
  | { kind: 'core-versions' }
  | { kind: 'groups' }
  | { kind: 'group'; group: string }
  | { kind: 'resources'; group: string; version: string }
  | {
      kind: 'resource';
      group: string;
      version: string;
      plural: string;
      namespace?: string;
      name?: string;
      subresource?: string;
    }
  | { kind: 'unknown' };

/**
 * "API Concepts: Resource URIs": /api/v1/... for the core group, /apis/<group>/<version>/... for
 * the others; namespaced resources under namespaces/<ns>/; /api/v1/namespaces/<name> is a
 * Namespace itself.
 */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'version' && parts.length === 1) return { kind: 'version' };
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'core-versions' };
    group = '';
    version = parts[1] as string;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'groups' };
    if (parts.length === 2) return { kind: 'group', group: parts[1] as string };
    group = parts[1] as string;
    version = parts[2] as string;
    rest = parts.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  if (rest.length === 0) return { kind: 'resources', group, version };
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(group === '' && rest.length === 3 && ['status', 'finalize'].includes(rest[2] as string))
  ) {
    const [, namespace, plural, name, subresource] = rest;
    if (rest.length > 5) return { kind: 'unknown' };
    return { kind: 'resource', group, version, plural: plural as string, namespace, name, subresource };
  }
  const [plural, name, subresource] = rest;
  if (rest.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', group, version, plural: plural as string, name, subresource };
}
