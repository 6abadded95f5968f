import {
  allContainers,
  type KubernetesObject,
  podTemplates,
  type Rule,
  type Violation,
  violation,
} from './types.js';

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
export function imageTag(image: string): { tag?: string; digest: boolean } {
  if (image.includes('@')) return { digest: true };
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon === -1 ? { digest: false } : { tag: image.slice(colon + 1), digest: false };
}

export const imageTagRule: Rule = {
  id: 'image-tag',
  description: 'Every container image has an explicit tag or digest, never `latest`.',
  check(objects: KubernetesObject[]): Violation[] {
    return podTemplates(objects).flatMap(({ owner, spec }) =>
      allContainers(spec).flatMap((c) => {
        const { tag, digest } = imageTag(c.image ?? '');
        if (digest) return [];
        if (!c.image || !tag)
          return [violation(this.id, owner, `container ${c.name}: image "${c.image}" has no tag`)];
        return tag === 'latest'
          ? [violation(this.id, owner, `container ${c.name}: image uses the latest tag`)]
          : [];
      }),
    );
  },
};

export const imagePullPolicyRule: Rule = {
  id: 'image-pull-policy',
  description: 'Every container sets imagePullPolicy.',
  check(objects) {
    return podTemplates(objects).flatMap(({ owner, spec }) =>
      allContainers(spec)
        .filter((c) => !c.imagePullPolicy)
        .map((c) => violation(this.id, owner, `container ${c.name}: imagePullPolicy not set`)),
    );
  },
};

export const imageRules: Rule[] = [imageTagRule, imagePullPolicyRule];
