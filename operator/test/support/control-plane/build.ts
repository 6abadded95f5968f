import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { KUBE_MODULE_DIR, KWOK_MODULE_DIR, type PinnedVersions, pinnedVersions } from './go-modules.js';
import { goCommand } from './go-tool.js';

/** The programs the control plane runs, by name, as built into one folder. */
export const KUBE_PROGRAMS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;
export const KWOK_PROGRAM = 'kwok';
export type Program = (typeof KUBE_PROGRAMS)[number] | typeof KWOK_PROGRAM;
export type Binaries = Record<Program, string>;

interface BuildPlan {
  module: string;
  programs: readonly Program[];
  packages: string[];
  ldflags: string;
}

/** What `version` reports: the pinned release, as a release build stamps it, not v0.0.0-master. */
function kubernetesLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const stamp = (pkg: string, name: string, value: string) => `-X ${pkg}.${name}=${value}`;
  return [
    '-s -w',
    stamp('k8s.io/component-base/version', 'gitVersion', version),
    stamp('k8s.io/component-base/version', 'gitMajor', major ?? ''),
    stamp('k8s.io/component-base/version', 'gitMinor', minor ?? ''),
    stamp('k8s.io/component-base/version', 'gitTreeState', 'clean'),
    stamp('k8s.io/client-go/pkg/version', 'gitVersion', version),
  ].join(' ');
}

function buildPlans(versions: PinnedVersions): BuildPlan[] {
  return [
    {
      module: KUBE_MODULE_DIR,
      programs: KUBE_PROGRAMS,
      packages: [
        'k8s.io/kubernetes/cmd/kube-apiserver',
        'k8s.io/kubernetes/cmd/kube-controller-manager',
        'k8s.io/kubernetes/cmd/kube-scheduler',
        './etcd',
      ],
      ldflags: kubernetesLdflags(versions.kubernetes),
    },
    {
      module: KWOK_MODULE_DIR,
      programs: [KWOK_PROGRAM],
      packages: ['sigs.k8s.io/kwok/cmd/kwok'],
      ldflags: '-s -w',
    },
  ];
}

/** Every file that decides what a module builds: its go.mod, go.sum and own sources. */
function moduleFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/^go\.(mod|sum)$|\.go$/.test(entry.name)) files.push(path);
    }
  };
  walk(dir);
  return files.sort();
}

/** A name for one build of a module: its versions and a hash of its files and flags. */
function buildKey(plan: { module: string; ldflags: string }, label: string): string {
  const hash = createHash('sha256');
  for (const file of moduleFiles(plan.module)) {
    hash.update(relative(plan.module, file));
    hash.update(readFileSync(file));
  }
  hash.update(plan.ldflags);
  return `${label}-${hash.digest('hex').slice(0, 12)}`;
}

export interface BuildReport {
  binaries: Binaries;
  /** The builds that ran, with their seconds; empty on a warm start. */
  built: { key: string; seconds: number }[];
}

/**
 * The control plane's binaries under `cacheDir`, building only what is missing: a build is kept in a
 * folder named by its key, so a warm start builds nothing and a new pin builds beside the old one.
 */
export async function ensureBinaries(
  cacheDir: string,
  log: (line: string) => void = () => {},
): Promise<BuildReport> {
  const versions = pinnedVersions();
  const binaries = {} as Binaries;
  const built: BuildReport['built'] = [];
  for (const plan of buildPlans(versions)) {
    const label =
      plan.module === KWOK_MODULE_DIR ? `kwok-${versions.kwok}` : `kubernetes-${versions.kubernetes}`;
    const key = buildKey(plan, label);
    const folder = join(cacheDir, key);
    const complete = plan.programs.every((program) => existsSync(join(folder, program)));
    if (!complete) {
      log(`building ${plan.programs.join(', ')} (${label}); a cold build takes many minutes`);
      const started = Date.now();
      const partial = `${folder}.partial`;
      await rm(partial, { recursive: true, force: true });
      await mkdir(partial, { recursive: true });
      await goCommand(
        ['build', '-trimpath', '-ldflags', plan.ldflags, '-o', `${partial}/`, ...plan.packages],
        plan.module,
      );
      await rm(folder, { recursive: true, force: true });
      await rename(partial, folder);
      const seconds = Math.round((Date.now() - started) / 1000);
      built.push({ key, seconds });
      log(`built ${key} in ${seconds} s`);
    }
    for (const program of plan.programs) binaries[program] = join(folder, program);
  }
  return { binaries, built };
}
