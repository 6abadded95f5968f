import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { SkeletonAppSpec } from '../spec.js';
import { shortHash } from './hash.js';
import { imagePullPolicy } from './image.js';
import { commonLabels } from './labels.js';
import { names, objectMeta, type RenderInput } from './metadata.js';
import {
  containerSecurityContext,
  podSecurityContext,
  resources,
  scratchMount,
  scratchVolume,
  secretEnv,
} from './pod.js';

/**
 * `<name>-migrate-<hash>`, the hash over the Job's whole spec (image, command, limits, resources, the
 * database Secret, labels). A Job's pod template is immutable, so any change to it needs a new Job; and
 * the same spec gives the same name, so the operator recognises a migration that already ran instead
 * of running it again.
 */
export function migrationJobName(name: string, spec: SkeletonAppSpec): string {
  // Job names become the job-name label of their pods, so the whole must fit 63 characters; the
  // hash, not the name, is what tells two migrations apart.
  const prefix = name.slice(0, 63 - '-migrate-'.length - 10).replace(/-+$/, '');
  return `${prefix}-migrate-${shortHash(migrationJobSpec(name, spec))}`;
}

/** What the migration Job runs: everything but its metadata. */
function migrationJobSpec(name: string, spec: SkeletonAppSpec) {
  const { command, backoffLimit, activeDeadlineSeconds } = spec.migrations;
  const image = spec.image;
  return {
    backoffLimit,
    activeDeadlineSeconds,
    // Kept a day for its logs and status, then garbage-collected; the operator's status records that it ran.
    ttlSecondsAfterFinished: 86_400,
    template: {
      metadata: { labels: commonLabels(name, image, 'migration') },
      spec: {
        // Retries are the Job's (backoffLimit), each in a fresh pod.
        restartPolicy: 'Never',
        serviceAccountName: names(name).serviceAccount,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurityContext(),
        containers: [
          {
            name: 'migrate',
            image,
            imagePullPolicy: imagePullPolicy(image),
            command,
            env: [
              { name: 'NODE_ENV', value: 'production' },
              secretEnv('DATABASE_URL', spec.database.secretRef),
            ],
            resources: resources(spec.resources),
            securityContext: containerSecurityContext(),
            volumeMounts: [scratchMount()],
          },
        ],
        volumes: [scratchVolume()],
      },
    },
  };
}

/**
 * The schema migration for the DESIRED image (spec.image): the operator moves the Deployment to that
 * image only after this Job succeeded.
 */
export function addMigrationJob(scope: Construct, input: RenderInput): ApiObject | undefined {
  const { app } = input;
  const { spec } = app;
  if (!spec.migrations.enabled) return undefined;
  return new ApiObject(scope, 'migration', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: objectMeta(input, migrationJobName(app.name, spec), {
      component: 'migration',
      image: spec.image,
    }),
    spec: migrationJobSpec(app.name, spec),
  });
}
