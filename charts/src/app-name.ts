import { z } from 'zod';

/**
 * A SkeletonApp's name becomes the name of its Service, Deployment, HPA and ServiceAccount and the
 * value of its pods' instance label. kube-apiserver checks only that a custom resource's name is a
 * DNS-1123 subdomain (dots, a leading digit and 253 characters pass), but a Service name must be a
 * DNS-1035 label of at most 63 characters: a lowercase letter first, then lowercase letters, digits
 * and '-', not ending in '-'. The metrics Service is `<name>-metrics`, so the name itself may have
 * at most 55. The rule is written once here, for zod and as the CRD's CEL rule.
 */
const MAX_LENGTH = 63 - '-metrics'.length;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const MESSAGE = `must be a DNS-1035 label of at most ${MAX_LENGTH} characters (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit), as the app's Services are named after it`;

export const skeletonAppNameSchema = z
  .string()
  .refine((name) => name.length <= MAX_LENGTH && DNS_1035_LABEL.test(name), MESSAGE);

/**
 * The rule as an `x-kubernetes-validations` entry for the root of the CRD's schema, the only place a
 * rule can see metadata.name. It judges creations only (`oldSelf` is absent then): a rule at the root
 * is never ratcheted, since every write changes the root, so it would otherwise refuse every status
 * write, spec fix and finalizer removal of an app created before the rule existed, and the operator
 * could neither report it InvalidSpec nor let it be deleted. Names are immutable, so judging each
 * creation judges every name.
 */
export const APP_NAME_VALIDATION = {
  rule: `oldSelf.hasValue() || (size(self.metadata.name) <= ${MAX_LENGTH} && self.metadata.name.matches('${DNS_1035_LABEL.source}'))`,
  optionalOldSelf: true,
  message: `metadata.name ${MESSAGE}`,
} as const;
