import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from './resource-registry.js';

/**
 * A minimal OpenAPI v3 surface ("Kubernetes API: OpenAPI V3"): GET /openapi/v3 lists one document per
 * group version, each at /openapi/v3/<api/v1|apis/group/version>. The documents carry only what
 * kubectl reads before a write: a PATCH operation per kind, tagged with x-kubernetes-group-version-kind
 * and declaring the `fieldValidation` query parameter, so kubectl (QueryParamVerifierV3) sees that the
 * server validates fields itself and skips client-side schema validation (which would need /openapi/v2
 * as protobuf). No component schemas: `kubectl explain` is not supported.
 */

const gvPath = (group: string, version: string) =>
  group === '' ? `api/${version}` : `apis/${group}/${version}`;

function groupVersions(registry: ResourceRegistry): Map<string, ResourceType[]> {
  const byPath = new Map<string, ResourceType[]>();
  for (const type of registry.all()) {
    const key = gvPath(type.group, type.version);
    byPath.set(key, [...(byPath.get(key) ?? []), type]);
  }
  return byPath;
}

const QUERY = (name: string, description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', uniqueItems: true },
});

const PARAMETERS = [
  QUERY('dryRun', 'When present, indicates that modifications should not be persisted.'),
  QUERY(
    'fieldManager',
    'fieldManager is a name associated with the actor or entity that is making these changes.',
  ),
  QUERY(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
  ),
];

function documentFor(types: ResourceType[]) {
  const paths: Record<string, unknown> = {};
  for (const type of types) {
    const prefix = `/${gvPath(type.group, type.version)}`;
    const collection = type.namespaced
      ? `${prefix}/namespaces/{namespace}/${type.plural}`
      : `${prefix}/${type.plural}`;
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const operation = (verb: string, action: string) => ({
      description: `${verb} the specified ${type.kind}`,
      operationId: `${verb}${type.kind}`,
      parameters: PARAMETERS,
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[collection] = { post: operation('create', 'post') };
    paths[`${collection}/{name}`] = {
      put: operation('replace', 'put'),
      patch: operation('patch', 'patch'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.30.0-kube-fake' },
    paths,
    components: { schemas: {} },
  };
}

const hashOf = (value: unknown) =>
  createHash('sha512').update(JSON.stringify(value)).digest('hex').slice(0, 128).toUpperCase();

/** GET /openapi/v3 */
export function openApiV3Index(registry: ResourceRegistry) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, types] of groupVersions(registry)) {
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(documentFor(types))}` };
  }
  return { paths };
}

/** GET /openapi/v3/<path>; undefined when no group version is served there. */
export function openApiV3Document(registry: ResourceRegistry, path: string) {
  const types = groupVersions(registry).get(path);
  return types && documentFor(types);
}
