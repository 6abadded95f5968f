import { KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_STATE_DIR, isHealthy, readState } from './control-plane/control-plane.js';

/**
 * The admin kubeconfig of the control plane `npm run control-plane -- up` started (the operator
 * workspace's `npm test` starts it first). Tests that need it fail with what to run when it is down,
 * rather than skip: the real control plane is the reference.
 */
export async function controlPlaneKubeconfigPath(): Promise<string> {
  const state = await readState(process.env.CONTROL_PLANE_DIR ?? DEFAULT_STATE_DIR);
  if (!state || !(await isHealthy(state)))
    throw new Error('no control plane is running: start one with `npm run control-plane -- up`');
  return state.adminKubeconfig;
}

export async function controlPlaneKubeConfig(): Promise<KubeConfig> {
  const config = new KubeConfig();
  config.loadFromFile(await controlPlaneKubeconfigPath());
  return config;
}
