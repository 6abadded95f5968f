import { imageVersion } from './image.js';

/**
 * Which part of the app an object belongs to: the API itself, its schema migration, or the Service
 * its metrics are scraped through.
 */
export type Component = 'api' | 'migration' | 'metrics';

/**
 * What selectors match on: the app and instance, plus the component so the migration Job's pods never
 * become Service endpoints or count towards the PodDisruptionBudget. Deliberately without the
 * version, because a Deployment's selector is immutable and must keep matching across upgrades.
 */
export function selectorLabels(instance: string, component: Component = 'api'): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'skeleton-api',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
}

/**
 * The recommended labels every object carries. The version is that of the image the object runs, so
 * only what runs an image (the Deployment, its pods, the migration Job) has one: on the others it
 * would make every upgrade rewrite objects that did not change.
 */
export function commonLabels(
  instance: string,
  image?: string,
  component: Component = 'api',
): Record<string, string> {
  return {
    ...selectorLabels(instance, component),
    ...(image === undefined ? {} : { 'app.kubernetes.io/version': imageVersion(image) }),
    'app.kubernetes.io/part-of': 'skeleton',
    'app.kubernetes.io/managed-by': 'skeleton-operator',
  };
}
