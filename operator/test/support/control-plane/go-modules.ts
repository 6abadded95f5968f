import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The Go modules that build the control plane. They are test tooling only, never shipped: one pins
 * k8s.io/kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler) and etcd at the release
 * that Kubernetes names; the other pins kwok, which plays the kubelet for pods that run no container.
 */
const GO_DIR = fileURLToPath(new URL('go', import.meta.url));
export const KUBE_MODULE_DIR = `${GO_DIR}/kube`;
export const KWOK_MODULE_DIR = `${GO_DIR}/kwok`;

/** The version a go.mod requires of a module, or an error naming the file. */
export function requiredVersion(goMod: string, module: string, file = 'go.mod'): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${file} does not require ${module}`);
  return match[1];
}

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  kwok: string;
}

export function pinnedVersions(): PinnedVersions {
  const kube = readFileSync(`${KUBE_MODULE_DIR}/go.mod`, 'utf8');
  const kwok = readFileSync(`${KWOK_MODULE_DIR}/go.mod`, 'utf8');
  return {
    kubernetes: requiredVersion(kube, 'k8s.io/kubernetes'),
    etcd: requiredVersion(kube, 'go.etcd.io/etcd/server/v3'),
    kwok: requiredVersion(kwok, 'sigs.k8s.io/kwok'),
  };
}

/**
 * k8s.io/kubernetes points each staging module (k8s.io/api, k8s.io/client-go, ...) at a folder of its
 * own tree, which a module that requires it cannot see. Each must be replaced by the published module
 * at the matching v0.x release: v1.36.3 goes with v0.36.3.
 */
export function stagingReplaces(kubernetesGoMod: string, kubernetesVersion: string): string[] {
  const staging = [...kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map(
    (match) => match[1] as string,
  );
  if (staging.length === 0) throw new Error('the Kubernetes go.mod lists no staging modules');
  const stagingVersion = kubernetesVersion.replace(/^v1\./, 'v0.');
  return staging.map((module) => `${module} => ${module} ${stagingVersion}`);
}

/** The replace block of a go.mod, one `old => new version` per line, in file order. */
export function replaceBlock(goMod: string): string[] {
  const block = /^replace \(\n([\s\S]*?)^\)/m.exec(goMod)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The go.mod with its replace block set to `replaces` (added at the end when it has none). */
export function withReplaceBlock(goMod: string, replaces: string[]): string {
  const block = `replace (\n${replaces.map((line) => `\t${line}`).join('\n')}\n)\n`;
  if (/^replace \(\n[\s\S]*?^\)\n?/m.test(goMod)) return goMod.replace(/^replace \(\n[\s\S]*?^\)\n?/m, block);
  return `${goMod.trimEnd()}\n\n${block}`;
}
