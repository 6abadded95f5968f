/** The SkeletonApp API: a group of the project's own domain, so it can never clash with another. */
export const SKELETON_APP = {
  group: 'platform.skeleton.dev',
  version: 'v1alpha1',
  kind: 'SkeletonApp',
  plural: 'skeletonapps',
  singular: 'skeletonapp',
  shortNames: ['ska'],
} as const;

export const SKELETON_APP_API_VERSION = `${SKELETON_APP.group}/${SKELETON_APP.version}` as const;
