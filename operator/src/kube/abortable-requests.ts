import * as k8s from '@kubernetes/client-node';

/** client-node's own HTTP layer (node-fetch), which the API clients use unless told otherwise. */
const FETCH = new k8s.IsomorphicFetchHttpLibrary();

/** An HTTP layer that sends every request through `base` with `signal`: aborting it cancels them. */
function abortableHttp(signal: AbortSignal, base: k8s.HttpLibrary = FETCH): k8s.HttpLibrary {
  return k8s.wrapHttpLibrary({
    send(request) {
      request.setSignal(signal);
      return base.send(request).toPromise();
    },
  });
}

/** Per-call options for client-node's generated APIs that make the request abortable by `signal`. */
export function abortOn(signal: AbortSignal): k8s.ConfigurationOptions {
  return { httpApi: abortableHttp(signal) };
}

/**
 * client-node's generic object client, whose requests can carry a signal. Its methods take a
 * Configuration but ignore that Configuration's HTTP layer, so a signal needs a client of its own.
 */
export class AbortableObjectApi extends k8s.KubernetesObjectApi {
  static override makeApiClient(kubeConfig: k8s.KubeConfig): AbortableObjectApi {
    const client = kubeConfig.makeApiClient(AbortableObjectApi);
    client.setDefaultNamespace(kubeConfig);
    return client;
  }

  /** This client with every request (discovery included) carrying `signal`; discovery is shared. */
  withSignal(signal: AbortSignal): k8s.KubernetesObjectApi {
    const client = new AbortableObjectApi({
      ...this.configuration,
      httpApi: abortableHttp(signal, this.configuration.httpApi),
    });
    client.apiVersionResourceCache = this.apiVersionResourceCache;
    client.defaultNamespace = this.defaultNamespace;
    return client;
  }
}
