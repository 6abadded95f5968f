/** Facts read off an image reference (repository[:tag] or repository@sha256:digest). */

const DIGEST = /@sha256:([a-f0-9]{64})$/;

/** A digest names exactly one image, so the node's cached copy is always the right one. */
export function isDigestPinned(image: string): boolean {
  return DIGEST.test(image);
}

/**
 * A tag may move (`:latest`, re-pushed tags), so only a digest may trust the node's cache; `Always`
 * costs a registry round-trip per pod start but never runs a stale image.
 */
export function imagePullPolicy(image: string): 'IfNotPresent' | 'Always' {
  return isDigestPinned(image) ? 'IfNotPresent' : 'Always';
}

/**
 * The `app.kubernetes.io/version` label: the tag, or the digest's first 12 hex characters. A label
 * value is at most 63 characters and must start and end alphanumerically, which a tag need not.
 */
export function imageVersion(image: string): string {
  const digest = DIGEST.exec(image);
  if (digest?.[1]) return digest[1].slice(0, 12);
  // The tag follows the last ':' after the last '/'; a ':' before it would be a registry port.
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  const tag = colon === -1 ? 'latest' : lastSegment.slice(colon + 1);
  return tag
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}
