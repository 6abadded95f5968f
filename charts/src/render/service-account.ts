import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { names, objectMeta, type RenderInput } from './metadata.js';

/**
 * A dedicated ServiceAccount, so the API never shares the namespace's `default` account (and any
 * RoleBinding someone grants it). The API does not talk to Kubernetes, so no token is mounted.
 */
export function addServiceAccount(scope: Construct, input: RenderInput): ApiObject {
  return new ApiObject(scope, 'service-account', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: objectMeta(input, names(input.app.name).serviceAccount),
    automountServiceAccountToken: false,
  });
}
