import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { shortHash } from './hash.js';
import { names, objectMeta, type RenderInput } from './metadata.js';

/** Whether the app has plain settings to hand to the API; without any, no ConfigMap is rendered. */
export function hasConfig(input: RenderInput): boolean {
  return Object.keys(input.app.spec.config).length > 0;
}

/**
 * A fingerprint of the settings for the pod template: pods read `envFrom` only at start, so a changed
 * ConfigMap must change the template to roll them.
 */
export function configHash(input: RenderInput): string {
  const config = input.app.spec.config;
  return shortHash(
    Object.fromEntries(
      Object.keys(config)
        .sort()
        .map((key) => [key, config[key]]),
    ),
  );
}

export function addConfigMap(scope: Construct, input: RenderInput): ApiObject | undefined {
  if (!hasConfig(input)) return undefined;
  return new ApiObject(scope, 'config', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(input, names(input.app.name).configMap),
    data: { ...input.app.spec.config },
  });
}
