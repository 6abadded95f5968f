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

/** Marks a request whose answer is handed back as the server sent it, not through a typed model. */
const AS_SENT = 'as-sent';

/**
 * client-node's generic object client, whose requests can carry a signal. Its methods take a
 * Configuration but ignore that Configuration's HTTP layer, so a signal needs a client of its own.
 */
export class AbortableObjectApi extends k8s.KubernetesObjectApi {
  /**
   * Server-side apply of `object` exactly as given (force: the operator owns every field it sets).
   * client-node's patch() runs the body through its typed models, which silently drop each field whose
   * JSON name differs from the model's property: a NetworkPolicy rule's `from` (`_from`) was never
   * sent, which left that rule open to every source. The answer is returned as sent, for the same reason.
   */
  async apply(object: k8s.KubernetesObject, fieldManager: string): Promise<k8s.KubernetesObject> {
    const path = await this.specUriPath(object, 'patch');
    const request = this.configuration.baseServer.makeRequestContext(path, k8s.HttpMethod.PATCH);
    request.setHeaderParam('Accept', 'application/json');
    request.setHeaderParam('Content-Type', k8s.PatchStrategy.ServerSideApply);
    request.setQueryParam('fieldManager', fieldManager);
    request.setQueryParam('force', 'true');
    request.setBody(JSON.stringify(object));
    return this.requestPromise(request, AS_SENT);
  }

  protected override async processResponse<T extends k8s.KubernetesObject>(
    response: k8s.ResponseContext,
    type?: string,
  ): Promise<T> {
    if (type !== AS_SENT) return super.processResponse(response, type);
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299)
      return JSON.parse(await response.body.text()) as T;
    throw new k8s.ApiException(
      response.httpStatusCode,
      'Unsuccessful HTTP Request',
      await response.getBodyAsAny(),
      response.headers,
    );
  }

  static override makeApiClient(kubeConfig: k8s.KubeConfig): AbortableObjectApi {
    const client = kubeConfig.makeApiClient(AbortableObjectApi);
    client.setDefaultNamespace(kubeConfig);
    return client;
  }

  /** This client with every request (discovery included) carrying `signal`; discovery is shared. */
  withSignal(signal: AbortSignal): AbortableObjectApi {
    const client = new AbortableObjectApi({
      ...this.configuration,
      httpApi: abortableHttp(signal, this.configuration.httpApi),
    });
    client.apiVersionResourceCache = this.apiVersionResourceCache;
    client.defaultNamespace = this.defaultNamespace;
    return client;
  }
}
